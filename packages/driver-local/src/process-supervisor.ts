import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type {
  DriverMessage,
  ExitRecord,
  RunRecord,
  RunSpec,
  SupervisorMessage,
} from './supervisor-protocol.js';

/** The supervisor script: built next to this module, or its source when running unbuilt. */
export function supervisorScript(): string {
  for (const name of ['./supervisor.js', './supervisor.ts']) {
    const path = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('The supervisor script (supervisor.js) is missing from @berth/driver-local');
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

interface Handle {
  child: ChildProcess;
  /** Container it runs now; undefined when idle. */
  containerId?: string;
  pending?: { resolve: (run: RunRecord) => void; reject: (error: Error) => void };
}

export interface SupervisorPoolOptions {
  logFile: string;
  /** Idle supervisors kept for the next start. */
  maxIdle: number;
}

/**
 * Hands container runs to supervisor processes, reusing idle ones. Supervisors are detached and
 * unreferenced: they never keep the driver's process alive, and outlive it while they run a
 * container. Waiters hold a referenced timer instead, for exactly as long as they wait.
 */
export class SupervisorPool {
  private readonly idle: Handle[] = [];
  private readonly busy = new Map<string, Handle>();
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
      const handle = this.idle.pop() ?? this.spawnSupervisor();
      handle.containerId = spec.id;
      this.busy.set(spec.id, handle);
      return await new Promise<RunRecord>((resolve, reject) => {
        // A supervisor that neither starts the process nor fails is broken: do not wait forever.
        const timer = setTimeout(() => {
          handle.pending = undefined;
          handle.child.kill('SIGKILL');
          reject(new SupervisorStartError('the supervisor did not answer within 30 s'));
        }, START_TIMEOUT_MS);
        handle.pending = {
          resolve: (run) => {
            clearTimeout(timer);
            resolve(run);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        this.send(handle, { type: 'run', spec });
      });
    } finally {
      release();
    }
  }

  /** Calls back once when the container's current run ends, if this pool supervises it. */
  onExit(id: string, listener: (exit: ExitRecord | undefined) => void): () => void {
    this.events.once(id, listener);
    return () => this.events.off(id, listener);
  }

  supervises(id: string): boolean {
    return this.busy.has(id);
  }

  /** Lets idle supervisors go; busy ones finish their container and then exit on their own. */
  close(): void {
    this.closed = true;
    for (const handle of this.idle.splice(0)) this.send(handle, { type: 'shutdown' });
    for (const handle of this.busy.values()) {
      if (handle.child.connected) handle.child.disconnect();
    }
  }

  private send(handle: Handle, message: DriverMessage): void {
    try {
      handle.child.send(message);
    } catch (error) {
      handle.pending?.reject(error as Error);
      handle.pending = undefined;
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
    const handle: Handle = { child };
    child.unref();
    child.channel?.unref();
    child.on('message', (message: SupervisorMessage) => this.receive(handle, message));
    const gone = () => {
      const index = this.idle.indexOf(handle);
      if (index !== -1) this.idle.splice(index, 1);
      handle.pending?.reject(new SupervisorStartError('the supervisor process ended unexpectedly'));
      handle.pending = undefined;
      if (handle.containerId !== undefined) {
        this.busy.delete(handle.containerId);
        this.events.emit(handle.containerId, undefined);
        handle.containerId = undefined;
      }
    };
    child.once('exit', gone);
    child.once('error', gone);
    return handle;
  }

  private receive(handle: Handle, message: SupervisorMessage): void {
    if (message.type === 'started') {
      handle.pending?.resolve(message.run);
      handle.pending = undefined;
    } else if (message.type === 'failed') {
      handle.pending?.reject(new SupervisorStartError(message.message, message.code));
      handle.pending = undefined;
      this.release(handle, message.id);
    } else if (message.type === 'exited') {
      this.release(handle, message.id);
      this.events.emit(message.id, message.exit);
    }
  }

  private release(handle: Handle, id: string): void {
    if (this.busy.get(id) === handle) this.busy.delete(id);
    if (this.idle.includes(handle)) return;
    handle.containerId = undefined;
    if (!this.closed && this.idle.length < this.options.maxIdle && handle.child.connected) {
      this.idle.push(handle);
    } else {
      this.send(handle, { type: 'shutdown' });
    }
  }
}
