import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerStartError } from '@berth/core';
import type { HostFingerprint } from '../host/host-fingerprint.js';
import {
  type ContainerCgroup,
  cgroupDirs,
  cgroupProcsFiles,
  createContainerCgroup,
  memberListFile,
  oomCounter,
  removeContainerCgroup,
  runCgroupName,
} from '../isolation/cgroups.js';
import { recheckBindMounts } from '../isolation/mounts.js';
import { buildSandboxCommand, spawnEnvironment } from '../isolation/sandbox-command.js';
import type { ContainerRecord } from '../state/container-record.js';
import { commitDraftSync, writeJsonAtomicSync } from '../state/json-files.js';
import type { RunRecord } from '../state/run-records.js';
import { SPARE_CONTENTS } from '../state/spare-dirs.js';
import type { StateLayout } from '../state/state-layout.js';
import { type SupervisorPool, SupervisorStartError } from '../supervisor/supervisor-pool.js';
import {
  type RunSpec,
  WARM_SANDBOX_GONE,
  type WarmProcess,
} from '../supervisor/supervisor-protocol.js';
import type { WarmSandbox, WarmSandboxes } from '../warm/warm-sandboxes.js';
import { limitsOf, planProcess, programExists, warmScriptOf } from './container-plan.js';
import type { ContainerSnapshot } from './container-snapshot.js';

/** What starting a container needs of its driver. */
export interface LaunchContext {
  layout: StateLayout;
  pool: SupervisorPool;
  warm: WarmSandboxes;
  /** Created containers holding a warm sandbox they have not started in yet. */
  claimed: Map<string, WarmSandbox>;
  ready(): Promise<{ host: HostFingerprint; allowedRoots: string[] }>;
  /** The directory bound as every sandbox's /etc, once known. */
  etcDir(): string | undefined;
  /** Directories no bind mount may show. */
  privateDirs(): string[];
}

const etc = (dir: string | undefined) => (dir !== undefined ? { etc: dir } : {});

/**
 * Starts a container's runs: checks what it names again (its program, its bind sources), then
 * hands a warm sandbox its program, or has a supervisor build the chain and run it, and cleans
 * up after a start that failed.
 */
export class ContainerLauncher {
  constructor(private readonly ctx: LaunchContext) {}

  /** Starts the container's next run: warm where its sandbox is ready, cold otherwise. */
  async launch(snapshot: ContainerSnapshot): Promise<RunRecord> {
    const { host } = await this.ctx.ready();
    const { record } = snapshot;
    const { id } = record;
    // One past the latest run: the one run.json names, or a failed start counted in
    // container.json. A start that succeeds does not rewrite container.json.
    const previous = Math.max(record.run, snapshot.run?.run ?? 0);
    const next = previous + 1;
    const warm = this.ctx.claimed.get(id);
    this.ctx.claimed.delete(id);
    let script: string | undefined;
    // Bind sources are checked again as they are now, and the supervisor mounts them by handle.
    let mounts = record.mounts;
    try {
      const program = record.command[0] as string;
      if (record.mounts.length > 0) {
        const { allowedRoots } = await this.ctx.ready();
        mounts = await recheckBindMounts(record.config.volumes, record.mounts, {
          allowedRoots,
          privateDirs: this.ctx.privateDirs(),
        });
      }
      const lookup = {
        mounts,
        ...(host.bubblewrap.works
          ? { sandbox: { view: host.tools.view, workDir: this.ctx.layout.workDir(id) } }
          : {}),
      };
      if (!(await programExists(program, record.env, record.cwd, lookup))) {
        throw new ContainerStartError(
          id,
          `executable '${program}' was not found (PATH=${record.env.PATH ?? ''})`,
          { retryable: false },
        );
      }
      if (warm?.state === 'claimed' && warm.process && next === 1) script = warmScriptOf(record);
    } finally {
      if (warm && script === undefined) void this.ctx.warm.release(warm);
    }
    // Only an earlier run can have left a stop record (readers match its run number anyway).
    if (previous > 0) rmSync(this.ctx.layout.stopFile(id), { force: true });
    let run: RunRecord | undefined;
    if (warm?.process && script !== undefined) {
      try {
        run = this.startWarm(host, record, next, warm.group, warm.process, script);
        this.ctx.pool.onExit(id, () => this.ctx.warm.refillSoon());
      } catch (error) {
        // Its stub died before it was given the program: start cold, in the same cgroup.
        const gone = error instanceof SupervisorStartError && error.code === WARM_SANDBOX_GONE;
        if (!gone) {
          await this.ctx.warm.release(warm);
          throw await this.startFailure(record, next, warm.group, error);
        }
      }
    }
    if (!run) {
      const limits = limitsOf(host, record.config);
      let group: ContainerCgroup | undefined;
      if (limits) {
        try {
          group = await createContainerCgroup(host.cgroups, runCgroupName(id, next), limits);
        } catch (error) {
          throw new ContainerStartError(
            id,
            `cannot set up its cgroup: ${(error as Error).message}`,
            { cause: error },
          );
        }
      }
      try {
        run = await this.runOnce(host, { ...record, mounts }, next, group);
      } catch (error) {
        throw await this.startFailure(record, next, group, error);
      }
    }
    return run;
  }

  /**
   * Starts the container in its warm sandbox: its process is the sandbox's, so its run record
   * is written here, and the supervisor holding the sandbox is told to hand the stub its
   * script. Nothing to wait for: the process runs already, inside its sandbox.
   */
  private startWarm(
    host: HostFingerprint,
    record: ContainerRecord,
    next: number,
    group: ContainerCgroup | undefined,
    stub: WarmProcess,
    script: string,
  ): RunRecord {
    const spec = this.runSpec(host, record, next, group, script);
    const run: RunRecord = {
      run: next,
      ...stub,
      startedAt: new Date().toISOString(),
      sandboxed: spec.sandboxed,
      meta: spec.meta,
    };
    this.ctx.pool.adopt(spec, () => commitDraftSync(spec.runDraft, spec.runFile, run));
    return run;
  }

  /** Has a supervisor run the container's program; resolves once it runs. */
  private async runOnce(
    host: HostFingerprint,
    record: ContainerRecord,
    next: number,
    group: ContainerCgroup | undefined,
  ): Promise<RunRecord> {
    const spec = this.runSpec(host, record, next, group);
    const running = this.ctx.pool.run(spec);
    // The run is on its way to the supervisor, which spawns it before it opens the log files:
    // creating them here meanwhile (on another core) leaves it only opening them. Either
    // side's open creates them if they are still missing.
    for (const log of [spec.stdoutLog, spec.stderrLog]) {
      try {
        closeSync(openSync(log, 'a', 0o600));
      } catch {
        // The supervisor's own open reports what is wrong.
      }
    }
    return running;
  }

  private runSpec(
    host: HostFingerprint,
    record: ContainerRecord,
    next: number,
    group: ContainerCgroup | undefined,
    warmScript?: string,
  ): RunSpec {
    const { id } = record;
    const context = {
      host,
      stateDir: this.ctx.layout.root,
      workDir: this.ctx.layout.workDir(id),
      ...etc(this.ctx.etcDir()),
    };
    // A warm start mounts nothing (containers with volumes always start cold).
    const mountSources =
      warmScript === undefined
        ? record.mounts.map((m) => ({
            path: m.source,
            directory: statSync(m.source, { throwIfNoEntry: false })?.isDirectory() ?? false,
          }))
        : [];
    const { plan, spawnCwd } = planProcess(record, context, {
      command: record.command,
      cgroupProcs: group ? cgroupProcsFiles(group) : [],
      mountFds: mountSources.map((_, index) => 3 + index),
    });
    const oom = group ? oomCounter(group) : undefined;
    const members = group ? memberListFile(group) : undefined;
    return {
      id,
      run: next,
      // A warm start has its chain running already and its environment in the script.
      argv: warmScript === undefined ? buildSandboxCommand(plan, host.tools) : [],
      env: warmScript === undefined ? spawnEnvironment(plan, host.tools) : {},
      ...(mountSources.length > 0 ? { mountSources } : {}),
      cwd: spawnCwd,
      stdoutLog: this.ctx.layout.logFile(id, 'stdout'),
      stderrLog: this.ctx.layout.logFile(id, 'stderr'),
      runFile: this.ctx.layout.runFile(id),
      runDraft: join(this.ctx.layout.containerDir(id), SPARE_CONTENTS.runDraft),
      exitFile: this.ctx.layout.exitFile(id),
      stopFile: this.ctx.layout.stopFile(id),
      sandboxed: plan.filesystem !== undefined,
      ...(group
        ? {
            cgroup: {
              dirs: cgroupDirs(group),
              ...(members ? { membersFile: members } : {}),
              ...(oom ? { oom } : {}),
            },
          }
        : {}),
      // warm: for diagnostics, which path the run took.
      meta: {
        ...(group ? { cgroup: group } : {}),
        ...(warmScript !== undefined ? { warm: true } : {}),
      },
      ...(warmScript !== undefined ? { warmScript } : {}),
    };
  }

  /** Cleans up after a start that failed; returns the error that says why. */
  private async startFailure(
    record: ContainerRecord,
    next: number,
    group: ContainerCgroup | undefined,
    error: unknown,
  ): Promise<ContainerStartError> {
    const { id } = record;
    if (group) await removeContainerCgroup(group).catch(() => undefined);
    // A failed start leaves no run.json to count from: counted here instead, so its number
    // (and anything still arriving about it) never matches a later run.
    try {
      writeJsonAtomicSync(this.ctx.layout.containerFile(id), { ...record, run: next });
    } catch {
      // The container is going away; the next start cannot see records of this one anyway.
    }
    const code = error instanceof SupervisorStartError ? error.code : undefined;
    return new ContainerStartError(id, (error as Error).message, {
      cause: error,
      // A program that does not exist will not appear by retrying.
      // A mount source that changed under the driver is refused, not worth another try.
      ...(code === 'ENOENT' || code === 'EACCES' || code === 'EMOUNTCHANGED'
        ? { retryable: false }
        : {}),
    });
  }
}
