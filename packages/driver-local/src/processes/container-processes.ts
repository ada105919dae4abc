import { randomBytes } from 'node:crypto';
import { type ProcessInfo, ProcessNotFoundError } from '@berth/core';
import type { ProcessSource } from '@berth/core/kit';
import {
  type InContainerContext,
  type InContainerOptions,
  prepareInContainer,
} from '../containers/container-exec.js';
import type { ContainerSnapshot } from '../containers/container-snapshot.js';
import type { HostReady } from '../engine/engine-context.js';
import { readProcStatSync } from '../host/process-identity.js';
import type { StateLayout } from '../state/state-layout.js';
import { attachedProcess } from './attached-process.js';
import { listSpawnRecords, processInfo, readSpawnRecord } from './process-records.js';
import { OwnedProcess, type SpawnSetting } from './spawned-process.js';

/*
 * spawn, listProcesses and attach. A spawned process is put into the container exactly as an
 * exec is (prepareInContainer), with its streams handed over as they are. What is known of it
 * beyond this driver's own handles is its record (process-records.ts).
 */

export interface ProcessesContext {
  layout: StateLayout;
  ready(): Promise<HostReady>;
  /** Where a container's processes are put, as exec puts them. */
  inContainer(snapshot: ContainerSnapshot): Promise<InContainerContext>;
}

export type SpawnRequest = Pick<InContainerOptions, 'env' | 'cwd' | 'user'> & { stdin: boolean };

let self: { pid: number; startTime: number } | undefined;
/** This process, as the owner of what it spawns. */
function owner(): { pid: number; startTime: number } {
  self ??= { pid: process.pid, startTime: readProcStatSync(process.pid)?.startTime ?? 0 };
  return self;
}

export class ContainerProcesses {
  /** This driver's processes that still run, by id. */
  readonly #owned = new Map<string, OwnedProcess>();
  readonly #closed = new AbortController();

  constructor(private readonly ctx: ProcessesContext) {}

  /** Starts `command` in the running container `snapshot` names; the caller checked it runs. */
  async spawn(
    snapshot: ContainerSnapshot,
    command: string[],
    request: SpawnRequest,
    signal?: AbortSignal,
  ): Promise<ProcessSource> {
    const { host } = await this.ctx.ready();
    const { record, run } = snapshot;
    const context = await this.ctx.inContainer(snapshot);
    const prepared = await prepareInContainer(snapshot, command, request, context);
    signal?.throwIfAborted();
    const setting: SpawnSetting = {
      layout: this.ctx.layout,
      tools: host.tools,
      cgroup: run?.meta.cgroup,
      base: {
        containerId: record.id,
        run: run?.run ?? 0,
        command: [...command],
        startedAt: new Date().toISOString(),
        owner: owner(),
      },
    };
    if (prepared.refused) {
      return OwnedProcess.refused(setting, prepared.refused, `x${randomBytes(8).toString('hex')}`);
    }
    const { owned, source } = await OwnedProcess.start(setting, prepared.launch, request.stdin);
    if (owned.running) {
      this.#owned.set(owned.record.id, owned);
      void owned.exit.then(() => this.#owned.delete(owned.record.id));
    }
    return source;
  }

  /** Every process spawned in the container by any driver on the stateDir, oldest first. */
  async list(containerId: string): Promise<ProcessInfo[]> {
    return Promise.all(listSpawnRecords(this.ctx.layout, containerId).map(processInfo));
  }

  async attach(containerId: string, processId: string): Promise<ProcessSource> {
    const own = this.#owned.get(processId);
    if (own?.record.containerId === containerId) return own.attached();
    const record = readSpawnRecord(this.ctx.layout, containerId, processId);
    if (!record) {
      throw new ProcessNotFoundError(containerId, processId);
    }
    const { host } = await this.ctx.ready();
    return attachedProcess(this.ctx.layout, record, host.tools, this.#closed.signal);
  }

  /**
   * The driver is done: its processes run on in their containers (another driver finds them
   * from their records) and no longer keep the driver's process alive, nor do waits on others.
   */
  close(): void {
    this.#closed.abort();
    for (const owned of this.#owned.values()) owned.release();
  }
}
