import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExitRecord, RunRecord } from '../state/run-records.js';
import {
  type DriverMessage,
  type RunSpec,
  type SupervisorMessage,
  WARM_SANDBOX_GONE,
  type WarmProcess,
  type WarmSpec,
} from './supervisor-protocol.js';

/**
 * The supervisor's program, supervisor-process.ts. Next to this module under both layouts: in
 * the built package, index.js and supervisor-process.js share dist/; unbuilt (tests), this
 * module and the source share src/supervisor/, and Node runs the source as it is.
 */
export function supervisorScript(): string {
  for (const name of ['./supervisor-process.js', './supervisor-process.ts']) {
    const path = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(
    'The supervisor program (supervisor-process.js) is missing from @berth/driver-local',
  );
}

const START_TIMEOUT_MS = 30_000;

export class SupervisorStartError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (run: RunRecord) => void;
  reject: (error: Error) => void;
}

interface Handle {
  child: ChildProcess;
  /** Containers it runs now. */
  containers: Set<string>;
  pending: Map<string, Pending>;
  /** Warm sandboxes it holds, by the container id each was made for. */
  warm: Set<string>;
  /** Waiting for a warm sandbox to be prepared (resolve) or to be gone (resolve on discard). */
  warmPending: Map<
    string,
    { resolve: (process?: WarmProcess) => void; reject: (error: Error) => void }
  >;
}

export interface SupervisorPoolOptions {
  logFile: string;
  /** Supervisors with nothing to run kept for the next start. */
  maxIdle: number;
  /** Containers one supervisor runs at once: fewer processes, a smaller blast radius if one dies. */
  perSupervisor: number;
}

/**
 * Hands container runs to supervisor processes, reusing running ones. Supervisors are detached
 * and unreferenced: they never keep the driver's process alive, and outlive it while they run a
 * container. Waiters hold a referenced timer instead, for exactly as long as they wait.
 */
export class SupervisorPool {
  private readonly handles = new Set<Handle>();
  private readonly byContainer = new Map<string, Handle>();
  private readonly byWarm = new Map<string, Handle>();
  private warmLost: (id: string) => void = () => undefined;
  private readonly events = new EventEmitter();
  private holds = 0;
  private keepAlive: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: SupervisorPoolOptions) {
    this.events.setMaxListeners(0);
  }

  /** Keeps the process alive until the returned function is called. */
  hold(): () => void {
    if (this.holds++ === 0) this.keepAlive = setInterval(() => undefined, 1 << 30);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds === 0) clearInterval(this.keepAlive);
    };
  }

  /** Runs the spec in a supervisor; resolves once the process runs and its record is on disk. */
  async run(spec: RunSpec): Promise<RunRecord> {
    const release = this.hold();
    try {
      const handle = this.pick();
      handle.containers.add(spec.id);
      this.byContainer.set(spec.id, handle);
      return await new Promise<RunRecord>((resolve, reject) => {
        // A supervisor that neither starts the process nor fails is broken: do not wait forever.
        const timer = setTimeout(() => {
          handle.pending.delete(spec.id);
          handle.child.kill('SIGKILL');
          reject(new SupervisorStartError('the supervisor did not answer within 30 s'));
        }, START_TIMEOUT_MS);
        handle.pending.set(spec.id, {
          resolve: (run) => {
            clearTimeout(timer);
            resolve(run);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        this.send(handle, { type: 'run', spec }, spec.id);
      });
    } finally {
      release();
    }
  }

  /**
   * Runs a spec with a warm script in the supervisor holding that warm sandbox, which it uses
   * up. Returns at once: `record` (the caller writes the run record) is called first, and
   * nothing is sent when the sandbox is known to be gone (a SupervisorStartError with code
   * WARM_SANDBOX_GONE).
   */
  adopt(spec: RunSpec, record: () => void): void {
    const handle = this.byWarm.get(spec.id);
    if (!handle?.child.connected) {
      throw new SupervisorStartError('its warm sandbox is gone', WARM_SANDBOX_GONE);
    }
    record();
    this.byWarm.delete(spec.id);
    handle.warm.delete(spec.id);
    handle.containers.add(spec.id);
    this.byContainer.set(spec.id, handle);
    this.send(handle, { type: 'run', spec });
  }

  /**
   * Has a supervisor make a warm sandbox; resolves with the process its container will have,
   * once its stub waits for a container.
   */
  async prepare(spec: WarmSpec): Promise<WarmProcess> {
    const handle = this.pick();
    handle.warm.add(spec.id);
    this.byWarm.set(spec.id, handle);
    return new Promise<WarmProcess>((resolve, reject) => {
      const timer = setTimeout(() => {
        handle.warmPending.delete(spec.id);
        this.discard(spec.id).catch(() => undefined);
        reject(new SupervisorStartError('the supervisor did not prepare it within 30 s'));
      }, START_TIMEOUT_MS);
      timer.unref();
      handle.warmPending.set(spec.id, {
        resolve: (process) => {
          clearTimeout(timer);
          if (process) resolve(process);
          else reject(new SupervisorStartError('discarded'));
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.send(handle, { type: 'prepare', warm: spec });
    });
  }

  /**
   * Has the supervisor kill a warm sandbox and remove its cgroups; resolves once that is done,
   * or at once when no supervisor holds it.
   */
  discard(id: string): Promise<void> {
    const handle = this.byWarm.get(id);
    if (!handle?.child.connected) return Promise.resolve();
    // Held: the caller may be a closing driver with nothing else keeping the process up.
    const release = this.hold();
    return new Promise<void>((resolve) => {
      handle.warmPending.get(id)?.reject(new SupervisorStartError('discarded'));
      handle.warmPending.set(id, { resolve: () => resolve(), reject: () => resolve() });
      this.send(handle, { type: 'discard', id });
    }).finally(release);
  }

  /** Called with the id of a warm sandbox that ended on its own (its cgroups are left over). */
  onWarmLost(listener: (id: string) => void): void {
    this.warmLost = listener;
  }

  /** Calls back once when the container's current run ends, if this pool supervises it. */
  onExit(id: string, listener: (exit: ExitRecord | undefined) => void): () => void {
    this.events.once(id, listener);
    return () => this.events.off(id, listener);
  }

  supervises(id: string): boolean {
    return this.byContainer.has(id);
  }

  /** Lets idle supervisors go; busy ones finish their containers and then exit on their own. */
  close(): void {
    this.closed = true;
    for (const handle of this.handles) {
      if (handle.containers.size + handle.warm.size === 0) this.send(handle, { type: 'shutdown' });
      else if (handle.child.connected) handle.child.disconnect();
    }
  }

  /** The least loaded supervisor with room, or a new one. */
  private pick(): Handle {
    let best: Handle | undefined;
    for (const handle of this.handles) {
      const load = handle.containers.size + handle.warm.size;
      if (!handle.child.connected || load >= this.options.perSupervisor) continue;
      if (!best || load < best.containers.size + best.warm.size) best = handle;
    }
    return best ?? this.spawnSupervisor();
  }

  private send(handle: Handle, message: DriverMessage, id?: string): void {
    try {
      handle.child.send(message);
    } catch (error) {
      if (id !== undefined) {
        handle.pending.get(id)?.reject(error as Error);
        handle.pending.delete(id);
      }
    }
  }

  private spawnSupervisor(): Handle {
    const log = openSync(this.options.logFile, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [supervisorScript()], {
        // A fresh session: a Ctrl-C meant for the driver's terminal must not reach containers.
        detached: true,
        stdio: ['ignore', 'ignore', log, 'ipc'],
        // The driver's environment (NODE_OPTIONS, loaders, secrets) is none of its business.
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        serialization: 'json',
      });
    } finally {
      closeSync(log);
    }
    const handle: Handle = {
      child,
      containers: new Set(),
      pending: new Map(),
      warm: new Set(),
      warmPending: new Map(),
    };
    this.handles.add(handle);
    child.unref();
    child.channel?.unref();
    child.on('message', (message: SupervisorMessage) => this.receive(handle, message));
    const gone = () => {
      if (!this.handles.delete(handle)) return;
      for (const pending of handle.pending.values()) {
        pending.reject(new SupervisorStartError('the supervisor process ended unexpectedly'));
      }
      handle.pending.clear();
      for (const id of handle.containers) {
        this.byContainer.delete(id);
        this.events.emit(id, undefined);
      }
      handle.containers.clear();
      const lost = new Error('the supervisor process ended unexpectedly');
      for (const pending of handle.warmPending.values()) pending.reject(lost);
      handle.warmPending.clear();
      for (const id of handle.warm) {
        this.byWarm.delete(id);
        this.warmLost(id);
      }
      handle.warm.clear();
    };
    child.once('exit', gone);
    child.once('error', gone);
    return handle;
  }

  private receive(handle: Handle, message: SupervisorMessage): void {
    if (message.type === 'started') {
      handle.pending.get(message.id)?.resolve(message.run);
      handle.pending.delete(message.id);
    } else if (message.type === 'failed') {
      handle.pending
        .get(message.id)
        ?.reject(new SupervisorStartError(message.message, message.code));
      handle.pending.delete(message.id);
      this.release(handle, message.id);
    } else if (message.type === 'exited') {
      this.release(handle, message.id);
      this.events.emit(message.id, message.exit);
    } else if (message.type === 'prepared') {
      handle.warmPending.get(message.id)?.resolve(message.process);
      handle.warmPending.delete(message.id);
    } else if (message.type === 'warm-gone') {
      const waiter = handle.warmPending.get(message.id);
      handle.warmPending.delete(message.id);
      if (message.discarded) waiter?.resolve();
      else waiter?.reject(new SupervisorStartError(message.detail ?? 'its chain ended'));
      if (handle.warm.delete(message.id)) {
        if (this.byWarm.get(message.id) === handle) this.byWarm.delete(message.id);
        if (!message.discarded) this.warmLost(message.id);
        this.release(handle, message.id);
      }
    }
  }

  private release(handle: Handle, id: string): void {
    if (this.byContainer.get(id) === handle) this.byContainer.delete(id);
    handle.containers.delete(id);
    if (handle.containers.size + handle.warm.size > 0 || handle.pending.size > 0) return;
    if (handle.warmPending.size > 0) return;
    let idle = 0;
    for (const other of this.handles) if (other.containers.size + other.warm.size === 0) idle++;
    if (this.closed || idle > this.options.maxIdle || !handle.child.connected) {
      this.handles.delete(handle);
      this.send(handle, { type: 'shutdown' });
    }
  }
}
