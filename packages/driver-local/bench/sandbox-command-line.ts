/**
 * The sandbox command line the driver builds, for baselines that run it without the driver: made
 * by the package's own planProcess and buildSandboxCommand from a container the driver created
 * and keeps running, whose cgroup (if any) the command joins, as the driver's would join the
 * container's own.
 */
import { join } from 'node:path';
import type { ContainerConfigInput } from '@berth/core';
import type { LocalDriver } from '../dist/index.js';
import { planProcess } from '../src/containers/container-plan.ts';
import { buildSandboxCommand, spawnEnvironment } from '../src/isolation/sandbox-command.ts';
import { prepareSandboxEtc } from '../src/isolation/sandbox-etc.ts';
import { isContainerRecord } from '../src/state/container-record.ts';
import { readRecordSync } from '../src/state/json-files.ts';
import { isRunRecord } from '../src/state/run-records.ts';

export interface Command {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * The command line the driver runs for a container of this config: built by the package's own
 * code from a container it created and keeps running, whose cgroup (if any) the command joins,
 * as the driver's would join the container's own.
 */
export async function sandboxedCommand(
  driver: LocalDriver,
  config: ContainerConfigInput,
  program: string[],
): Promise<{ command: Command; release: () => Promise<void> } | undefined> {
  const host = await driver.hostFingerprint();
  const holder = await driver.createContainer({ ...config, command: ['sleep', '600'] });
  const release = () => driver.removeContainer(holder.id, { force: true });
  await driver.startContainer(holder.id);
  const dir = join(driver.stateDir, 'containers', holder.id);
  const record = readRecordSync(join(dir, 'container.json'), isContainerRecord);
  const run = readRecordSync(join(dir, 'run.json'), isRunRecord);
  if (!record || !run) throw new Error(`container ${holder.id} has no readable records`);
  const dirs = [...new Set(Object.values(run.meta.cgroup?.dirs ?? {}))].filter(
    (d) => d !== undefined,
  );
  const { plan, spawnCwd } = planProcess(
    record,
    {
      host,
      stateDir: driver.stateDir,
      workDir: join(dir, 'work'),
      // The same copy the driver binds: its name is the digest of what it holds.
      etc: prepareSandboxEtc('/var/lib/berth/etc'),
    },
    { command: program, cgroupProcs: dirs.map((d) => join(d, 'cgroup.procs')) },
  );
  const argv = buildSandboxCommand(plan, host.tools);
  const env = spawnEnvironment(plan, host.tools);
  if (argv.length === program.length) {
    await release();
    return undefined; // nothing isolates at this level on this host: the same as bare spawn
  }
  return { command: { argv, env, cwd: spawnCwd }, release };
}
