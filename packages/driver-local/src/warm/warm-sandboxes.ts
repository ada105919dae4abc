import { randomUUID } from 'node:crypto';
import { chownSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readProcStatSync } from '../host/process-identity.js';
import {
  type CgroupLayout,
  type CgroupLimits,
  type ContainerCgroup,
  cgroupDirs,
  containerCgroupOf,
  createContainerCgroup,
  removeContainerCgroup,
  runCgroupName,
} from '../isolation/cgroups.js';
import { WARM_READY_LINE } from '../isolation/sandbox-command.js';
import { makeContainerSkeleton, SPARE_CONTENTS } from '../state/spare-dirs.js';
import type { SupervisorPool } from '../supervisor/supervisor-pool.js';
import type { WarmProcess } from '../supervisor/supervisor-protocol.js';

/** What warm sandboxes are made like: taken from the latest container that could use one. */
export interface WarmTemplate {
  cgroups: CgroupLayout;
  /** The limits of its cgroup; undefined when it gets none. */
  limits: CgroupLimits | undefined;
  /**
   * Who owns the work directory of the sandbox made for container `id`, when the container runs
   * as another user: with identities of their own, each sandbox has its own.
   */
  owner(id: string): { uid: number; gid: number } | undefined;
  /** The chain around the stub for container `id`, whose work directory is at `workDirSource`. */
  chain(
    id: string,
    workDirSource: string,
    group: ContainerCgroup | undefined,
  ): { argv: string[]; cwd: string };
}

export interface WarmSandbox {
  /** The id of the container it was made for: its hostname, cgroup and paths are that one's. */
  readonly id: string;
  /** Its container directory (work dir, logs, record drafts), to be renamed into place. */
  readonly dir: string;
  group: ContainerCgroup | undefined;
  /** Its stub's process, once ready: the one its container's run record names. */
  process?: WarmProcess;
  /** Everything its chain depends on: two sandboxes of equal shape are interchangeable. */
  shape: string;
  state: 'preparing' | 'ready' | 'claimed' | 'gone';
}

function shapeOf(template: WarmTemplate, sandbox: WarmSandbox): string {
  const chain = template.chain(
    sandbox.id,
    join(sandbox.dir, SPARE_CONTENTS.workDir),
    sandbox.group,
  );
  return JSON.stringify([chain, template.limits ?? null, template.owner(sandbox.id) ?? null]);
}

/** The shape of the sandbox a template makes, for a placeholder container. */
function signatureOf(template: WarmTemplate): string {
  const id = '0'.repeat(32);
  const group = template.limits
    ? containerCgroupOf(template.cgroups, runCgroupName(id, 1))
    : undefined;
  return shapeOf(template, { id, dir: '/', group, shape: '', state: 'gone' });
}

/**
 * How long a refill waits after a claim that left another sandbox ready, unless the claimed
 * sandbox's program ends first (see refillSoon).
 */
const REFILL_DELAY_MS = 50;

/** Consecutive failures to prepare after which no more are tried until the template changes. */
const MAX_FAILURES = 3;

/**
 * Sandboxes made ahead of time. Most of a secure start is the chain around the program (cgroup
 * join, bubblewrap building its namespaces and mounts, setpriv), none of which depends on the
 * program itself: so the chain is built in the background around a stub shell, for the id and
 * shape of the next container, and a create that matches that shape takes it over. The start
 * then only hands the stub a script that execs the program. Anything that does not match (a
 * chosen name, volumes, another config) takes the cold path, which builds the chain on start.
 *
 * Each driver keeps its sandboxes' directories under its own `warm/<pid>.<start time>.<nonce>`:
 * a later driver deletes those of owners that are gone, with their cgroups.
 */
export class WarmSandboxes {
  readonly #root: string;
  readonly #own: string;
  readonly #pool: SupervisorPool;
  readonly #target: number;
  readonly #trash: (path: string) => void;
  readonly #forget: (id: string) => void;
  readonly #waiting = new Map<string, WarmSandbox>();
  readonly #disposed = new WeakSet<WarmSandbox>();
  #template: WarmTemplate | undefined;
  #signature = '';
  #refill: NodeJS.Timeout | undefined;
  #filling = false;
  #failures = 0;
  #closed = false;
  /** Claims so far: nothing is built ahead for a driver that has made a single container. */
  #claims = 0;

  constructor(
    root: string,
    pool: SupervisorPool,
    options: {
      target: number;
      trash: (path: string) => void;
      /** A sandbox went unused: what was reserved for its container id can go. */
      forget?: (id: string) => void;
    },
  ) {
    this.#root = root;
    const start = readProcStatSync(process.pid)?.startTime ?? 0;
    this.#own = join(root, `${process.pid}.${start}.${randomUUID().slice(0, 8)}`);
    this.#pool = pool;
    this.#target = options.target;
    this.#trash = options.trash;
    this.#forget = options.forget ?? (() => undefined);
    pool.onWarmLost((id) => {
      const sandbox = this.#waiting.get(id);
      if (sandbox) void this.#dispose(sandbox, false);
    });
  }

  get enabled(): boolean {
    return this.#target > 0 && !this.#closed;
  }

  /**
   * Takes a ready sandbox identical to the one `template` would make for it, and makes the
   * template the one to prepare the next ones from. Undefined when none is ready.
   */
  claim(template: WarmTemplate): WarmSandbox | undefined {
    if (!this.enabled) return undefined;
    // Failures count against one shape only: a new one deserves its own tries.
    if (this.#failures > 0) {
      const signature = signatureOf(template);
      if (signature !== this.#signature) this.#failures = 0;
      this.#signature = signature;
    }
    this.#template = template;
    let found: WarmSandbox | undefined;
    for (const sandbox of this.#waiting.values()) {
      if (sandbox.state === 'ready' && shapeOf(template, sandbox) === sandbox.shape) {
        found = sandbox;
        break;
      }
    }
    if (found) {
      this.#waiting.delete(found.id);
      found.state = 'claimed';
    }
    // A one-shot script makes one container: building sandboxes ahead for it would only be
    // work it waits for (or leaves behind) and never uses. The second container starts it.
    this.#claims += 1;
    if (this.#claims === 1) return found;
    // Building a sandbox keeps a core busy for several milliseconds: while another one is
    // ready, build it once the claimed one's program has ended or had time to get going,
    // rather than while it starts.
    const ready = [...this.#waiting.values()].some((s) => s.state === 'ready');
    this.#schedule(ready ? REFILL_DELAY_MS : 0);
    return found;
  }

  /** A claimed sandbox's program ended: a good moment to build the next one. */
  refillSoon(): void {
    this.#schedule();
  }

  /** Gives up a claimed sandbox that will not be used: its stub and cgroup go, its dir stays. */
  release(sandbox: WarmSandbox): Promise<void> {
    return this.#dispose(sandbox, true);
  }

  /** Deletes what drivers that are gone left behind: their directories and cgroups. */
  async sweep(cgroups: CgroupLayout): Promise<void> {
    let owners: string[];
    try {
      owners = readdirSync(this.#root);
    } catch {
      return;
    }
    for (const owner of owners) {
      const path = join(this.#root, owner);
      if (path === this.#own || this.#alive(owner)) continue;
      let ids: string[] = [];
      try {
        ids = readdirSync(path);
      } catch {
        // Gone already.
      }
      for (const id of ids) {
        const group = containerCgroupOf(cgroups, runCgroupName(id, 1));
        if (group) await removeContainerCgroup(group).catch(() => undefined);
      }
      try {
        this.#trash(path);
      } catch {
        // Taken by another driver sweeping at the same time.
      }
    }
  }

  /** Discards every sandbox still waiting; a claimed one is its container's to release. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#refill);
    this.#refill = undefined;
    await Promise.all([...this.#waiting.values()].map((s) => this.#dispose(s, false)));
    try {
      this.#trash(this.#own);
    } catch {
      // Never made one.
    }
  }

  #alive(owner: string): boolean {
    const [pid, start] = owner.split('.').map(Number);
    if (!pid) return false;
    const stat = readProcStatSync(pid);
    return stat !== undefined && stat.startTime === start;
  }

  #schedule(delayMs = 0): void {
    if (!this.enabled || this.#filling) return;
    // Unref'd: warm sandboxes are a convenience, never a reason to keep a process alive.
    clearTimeout(this.#refill);
    this.#refill = setTimeout(() => void this.#fill(), delayMs);
    this.#refill.unref();
  }

  async #fill(): Promise<void> {
    this.#refill = undefined;
    const template = this.#template;
    if (!template || this.#filling) return;
    this.#filling = true;
    try {
      // Made for a workload that changed: a container of the new one will never match them.
      for (const sandbox of [...this.#waiting.values()]) {
        if (sandbox.state === 'ready' && shapeOf(template, sandbox) !== sandbox.shape) {
          void this.#dispose(sandbox, false);
        }
      }
      while (
        this.enabled &&
        this.#template === template &&
        this.#failures < MAX_FAILURES &&
        this.#waiting.size < this.#target
      ) {
        const missing = this.#target - this.#waiting.size;
        const results = await Promise.allSettled(
          Array.from({ length: missing }, () => this.#prepare(template)),
        );
        for (const result of results) {
          this.#failures = result.status === 'fulfilled' ? 0 : this.#failures + 1;
        }
        if (this.#failures > 0) this.#signature = signatureOf(template);
      }
    } finally {
      this.#filling = false;
    }
    if (this.#template !== template) this.#schedule();
  }

  async #prepare(template: WarmTemplate): Promise<void> {
    const id = randomUUID().replaceAll('-', '');
    const sandbox: WarmSandbox = {
      id,
      dir: join(this.#own, id),
      group: undefined,
      shape: '',
      state: 'preparing',
    };
    this.#waiting.set(id, sandbox);
    try {
      mkdirSync(this.#own, { recursive: true, mode: 0o711 });
      makeContainerSkeleton(sandbox.dir);
      const { limits } = template;
      const owner = template.owner(id);
      if (owner) chownSync(join(sandbox.dir, SPARE_CONTENTS.workDir), owner.uid, owner.gid);
      // Its container's first run is the one it serves.
      if (limits) {
        sandbox.group = await createContainerCgroup(template.cgroups, runCgroupName(id, 1), limits);
      }
      sandbox.shape = shapeOf(template, sandbox);
      const chain = template.chain(id, join(sandbox.dir, SPARE_CONTENTS.workDir), sandbox.group);
      sandbox.process = await this.#pool.prepare({
        id,
        argv: chain.argv,
        cwd: chain.cwd,
        readyLine: WARM_READY_LINE,
        cgroupDirs: sandbox.group ? cgroupDirs(sandbox.group) : [],
      });
    } catch (error) {
      await this.#dispose(sandbox, false);
      throw error;
    }
    if (sandbox.state === 'preparing') sandbox.state = 'ready';
  }

  /** Kills its stub, removes its cgroup and, unless its container now owns it, its directory. */
  async #dispose(sandbox: WarmSandbox, keepDir: boolean): Promise<void> {
    if (this.#disposed.has(sandbox)) return;
    this.#disposed.add(sandbox);
    sandbox.state = 'gone';
    this.#waiting.delete(sandbox.id);
    await this.#pool.discard(sandbox.id);
    if (sandbox.group) await removeContainerCgroup(sandbox.group).catch(() => undefined);
    if (!keepDir) {
      try {
        this.#trash(sandbox.dir);
      } catch {
        // Never made.
      }
      this.#forget(sandbox.id);
    }
    this.#schedule();
  }
}
