import { join } from 'node:path';
import type { ContainerConfigInput } from '@berth/core';
import type { LocalDriver } from '../src/index.js';
import { eventually, shell } from './helpers.js';

/** The container's work directory, on the host and (bound at the same path) inside it. */
export function workDirOf(driver: LocalDriver, id: string): string {
  return join(driver.stateDir, 'containers', id, 'work');
}

/** Runs `setup` in a new container, then keeps it running; resolves once `setup` is done. */
export async function running(
  driver: LocalDriver,
  setup = 'true',
  extra: Partial<ContainerConfigInput> = {},
): Promise<{ id: string; work: string }> {
  const { id } = await driver.createContainer(
    shell(`${setup} || exit 1; echo berth-ready; exec sleep 600`, extra),
  );
  await driver.startContainer(id);
  await eventually(
    "the setup to print 'berth-ready' (the logs)",
    async () => {
      const logs = await driver.getContainerLogs(id);
      if (logs.includes('berth-ready')) return logs;
      const state = await driver.getContainer(id);
      if (state?.status !== 'running') throw new Error(`setup failed: ${logs}`);
      return logs;
    },
    (logs) => logs.includes('berth-ready'),
  );
  return { id, work: workDirOf(driver, id) };
}

export async function all(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** What an exec in the container prints, failing the test when it fails. */
export async function inside(driver: LocalDriver, id: string, script: string): Promise<string> {
  const result = await driver.exec(id, ['sh', '-c', script]);
  if (result.exitCode !== 0) {
    throw new Error(`exec ${script} exited ${result.exitCode}: ${result.stderr}`);
  }
  return result.stdout;
}

export async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}
