import { accessSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { signalProcess } from '../host/process-identity.js';
import { probeFreezer, thawIfFrozen } from './cgroup-freezer.js';

/*
 * cgroup files are kernel interfaces, not disk: creating a group and writing its limits takes
 * microseconds, so it is done synchronously rather than paying a thread-pool trip per file.
 *
 * Resource limits through cgroups, v2 (unified) or v1 (one hierarchy per controller), whichever
 * this host mounts: detected from /proc/self/mountinfo at run time, never assumed. A limit
 * counts as enforced only after a probe cgroup accepted it.
 */

export type LimitController = 'cpu' | 'memory' | 'pids';

export interface CgroupLayout {
  version: 1 | 2 | null;
  /** v2: the unified mount; v1: the mount of each controller (cpuacct only for statistics). */
  mounts: {
    unified?: string;
    cpu?: string;
    cpuacct?: string;
    memory?: string;
    pids?: string;
    freezer?: string;
  };
  /** Name of the parent group every container's group is made under. */
  parent: string;
  enforced: Record<LimitController, boolean>;
  /** Why a controller is not enforced, for capabilities() and error hints. */
  reason?: string;
  /** Containers' groups can be frozen (pauseContainer): a probe group froze and thawed. */
  freezer: boolean;
  freezerReason?: string;
}

/** A container's cgroup, as plain data: it is stored in state and handed to the supervisor. */
export interface ContainerCgroup {
  version: 1 | 2;
  /** v2: the one group's directory under every name; freezer only where the host can freeze. */
  dirs: { cpu?: string; cpuacct?: string; memory?: string; pids?: string; freezer?: string };
}

export interface CgroupLimits {
  /** Cores. */
  cpu?: number;
  /** Megabytes. */
  memory?: number;
  pids?: number;
}

const CFS_PERIOD_US = 100_000;
const MIB = 1024 * 1024;

function exists(path: string): boolean {
  try {
    accessSync(path);
    return true;
  } catch {
    return false;
  }
}

interface MountEntry {
  point: string;
  type: string;
  superOptions: string[];
}

async function readMounts(): Promise<MountEntry[]> {
  let text: string;
  try {
    text = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const mounts: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const point = left.split(' ')[4];
    const [type, , superOptions] = right.split(' ');
    if (point && type) {
      mounts.push({
        point: unescapeMount(point),
        type,
        superOptions: (superOptions ?? '').split(','),
      });
    }
  }
  return mounts;
}

function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

function writeValue(dir: string, file: string, value: string): void {
  writeFileSync(join(dir, file), value);
}

function enableV2Controllers(mount: string, parentDir: string): void {
  const available = readFileSync(join(mount, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  const wanted = ['cpu', 'memory', 'pids'].filter((c) => available.includes(c));
  for (const dir of [mount, parentDir]) {
    const enabled = readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/);
    const missing = wanted.filter((c) => !enabled.includes(c));
    if (missing.length > 0) {
      writeValue(dir, 'cgroup.subtree_control', missing.map((c) => `+${c}`).join(' '));
    }
  }
}

/** Finds the cgroup hierarchy and checks, with a throwaway group, which limits really apply. */
export async function detectCgroupLayout(parent = 'berth'): Promise<CgroupLayout> {
  const none = (reason: string): CgroupLayout => ({
    version: null,
    mounts: {},
    parent,
    enforced: { cpu: false, memory: false, pids: false },
    reason,
    freezer: false,
    freezerReason: reason,
  });
  if (process.platform !== 'linux') return none('cgroups exist only on Linux');
  const mounts = await readMounts();

  let layout: CgroupLayout | undefined;
  for (const mount of mounts.filter((m) => m.type === 'cgroup2')) {
    let controllers: string[] = [];
    try {
      controllers = (await readFile(join(mount.point, 'cgroup.controllers'), 'utf8'))
        .trim()
        .split(/\s+/);
    } catch {
      continue;
    }
    // A hybrid host mounts an empty unified tree next to the v1 controllers: that one is no use.
    if (['cpu', 'memory', 'pids'].some((c) => controllers.includes(c))) {
      layout = { ...none(''), version: 2, mounts: { unified: mount.point } };
      break;
    }
  }
  if (!layout) {
    const v1: CgroupLayout['mounts'] = {};
    for (const mount of mounts.filter((m) => m.type === 'cgroup')) {
      for (const controller of ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'] as const) {
        if (mount.superOptions.includes(controller) && !v1[controller])
          v1[controller] = mount.point;
      }
    }
    if (Object.keys(v1).length === 0) return none('no cgroup hierarchy is mounted');
    layout = { ...none(''), version: 1, mounts: v1 };
  }
  delete layout.reason;
  delete layout.freezerReason;

  const probeId = `.probe-${process.pid}-${Date.now()}`;
  // First, on a group of its own: containers' groups get a freezer only where it works, so a
  // freezer the host mounts but refuses cannot make every start fail.
  const freezer = await probeFreezer(layout, `${probeId}-freezer`);
  layout.freezer = freezer.works;
  if (freezer.reason !== undefined) layout.freezerReason = freezer.reason;
  let probe: ContainerCgroup | undefined;
  const failures: string[] = [];
  try {
    probe = await createContainerCgroup(layout, probeId, {});
    const checks: [LimitController, CgroupLimits][] = [
      ['cpu', { cpu: 0.5 }],
      ['memory', { memory: 64 }],
      ['pids', { pids: 10 }],
    ];
    for (const [controller, limits] of checks) {
      try {
        await applyLimits(probe, limits);
        layout.enforced[controller] = probe.dirs[controller] !== undefined;
      } catch (error) {
        failures.push(`${controller}: ${(error as Error).message}`);
      }
    }
  } catch (error) {
    failures.push((error as Error).message);
  } finally {
    if (probe) await removeContainerCgroup(probe).catch(() => undefined);
  }
  for (const controller of ['cpu', 'memory', 'pids'] as const) {
    if (!layout.enforced[controller] && failures.length === 0) {
      failures.push(`${controller}: controller not mounted`);
    }
  }
  if (failures.length > 0) layout.reason = `cgroup v${layout.version}: ${failures.join('; ')}`;
  return layout;
}

/**
 * The name of the group of one run of a container. Each run gets its own: removing a group
 * can take the kernel a while (a cpu group's bandwidth timer), so a supervisor removes it only
 * after it has reported the exit, and by then the next run may already be starting.
 */
export function runCgroupName(id: string, run: number): string {
  return `${id}.${run}`;
}

/** Makes (or reuses) a group in every hierarchy and applies the limits. */
export async function createContainerCgroup(
  layout: CgroupLayout,
  name: string,
  limits: CgroupLimits,
): Promise<ContainerCgroup> {
  const group = containerCgroupOf(layout, name);
  if (!group) throw new Error('no cgroup hierarchy on this host');
  if (layout.version === 2) {
    const mount = layout.mounts.unified as string;
    const parentDir = join(mount, layout.parent);
    mkdirSync(parentDir, { recursive: true });
    enableV2Controllers(mount, parentDir);
  }
  for (const dir of cgroupDirs(group)) mkdirSync(dir, { recursive: true });
  await applyLimits(group, limits);
  return group;
}

/** The group createContainerCgroup makes of this name, whether or not it exists now. */
export function containerCgroupOf(layout: CgroupLayout, name: string): ContainerCgroup | undefined {
  if (layout.version === 2) {
    const dir = join(layout.mounts.unified as string, layout.parent, name);
    const dirs = { cpu: dir, cpuacct: dir, memory: dir, pids: dir };
    return { version: 2, dirs: layout.freezer ? { ...dirs, freezer: dir } : dirs };
  }
  if (layout.version === 1) {
    const dirs: ContainerCgroup['dirs'] = {};
    for (const controller of ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'] as const) {
      const mount = layout.mounts[controller];
      if (mount && (controller !== 'freezer' || layout.freezer)) {
        dirs[controller] = join(mount, layout.parent, name);
      }
    }
    return { version: 1, dirs };
  }
  return undefined;
}

export async function applyLimits(group: ContainerCgroup, limits: CgroupLimits): Promise<void> {
  const { cpu, memory, pids } = group.dirs;
  if (limits.cpu !== undefined) {
    if (!cpu) throw new Error('the cpu controller is not available');
    const quota = Math.max(1000, Math.round(limits.cpu * CFS_PERIOD_US));
    if (group.version === 2) {
      writeValue(cpu, 'cpu.max', `${quota} ${CFS_PERIOD_US}`);
    } else {
      writeValue(cpu, 'cpu.cfs_period_us', String(CFS_PERIOD_US));
      writeValue(cpu, 'cpu.cfs_quota_us', String(quota));
    }
  }
  if (limits.memory !== undefined) {
    if (!memory) throw new Error('the memory controller is not available');
    const bytes = String(Math.floor(limits.memory * MIB));
    if (group.version === 2) {
      writeValue(memory, 'memory.max', bytes);
      // Without this a hog would swap instead of meeting its limit.
      if (exists(join(memory, 'memory.swap.max'))) {
        writeValue(memory, 'memory.swap.max', '0');
      }
    } else {
      const memsw = join(memory, 'memory.memsw.limit_in_bytes');
      const hasMemsw = exists(memsw);
      // memsw must never be below the plain limit, so the order depends on the direction.
      try {
        writeValue(memory, 'memory.limit_in_bytes', bytes);
        if (hasMemsw) writeValue(memory, 'memory.memsw.limit_in_bytes', bytes);
      } catch (error) {
        if (!hasMemsw) throw error;
        writeValue(memory, 'memory.memsw.limit_in_bytes', bytes);
        writeValue(memory, 'memory.limit_in_bytes', bytes);
      }
    }
  }
  if (limits.pids !== undefined) {
    if (!pids) throw new Error('the pids controller is not available');
    writeValue(pids, 'pids.max', String(limits.pids));
  }
}

export function cgroupDirs(group: ContainerCgroup): string[] {
  return [...new Set(Object.values(group.dirs).filter((d): d is string => d !== undefined))];
}

/** The files a process writes its pid to, to join the group in every hierarchy. */
export function cgroupProcsFiles(group: ContainerCgroup): string[] {
  return cgroupDirs(group).map((dir) => join(dir, 'cgroup.procs'));
}

/** One procs file that lists every member (all hierarchies hold the same processes). */
export function memberListFile(group: ContainerCgroup): string | undefined {
  const dir = group.dirs.pids ?? group.dirs.memory ?? group.dirs.cpu;
  return dir ? join(dir, 'cgroup.procs') : undefined;
}

/** Where the kernel counts OOM kills, and the key of the counter. */
export function oomCounter(group: ContainerCgroup): { file: string; key: string } | undefined {
  const dir = group.dirs.memory;
  if (!dir) return undefined;
  return group.version === 2
    ? { file: join(dir, 'memory.events'), key: 'oom_kill' }
    : { file: join(dir, 'memory.oom_control'), key: 'oom_kill' };
}

export async function cgroupMembers(group: ContainerCgroup): Promise<number[]> {
  const file = memberListFile(group);
  if (!file) return [];
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Kills every process in the group, including ones that left the process group with setsid.
 * A paused group is thawed once its members have SIGKILL pending: frozen, they would not act
 * on it, and thawed first, they would run meanwhile.
 */
export async function killCgroup(group: ContainerCgroup): Promise<void> {
  if (group.version === 2 && group.dirs.pids) {
    try {
      writeValue(group.dirs.pids, 'cgroup.kill', '1');
      thawIfFrozen(group);
      return;
    } catch {
      // Kernels before 5.14 have no cgroup.kill: fall back to signalling each member.
    }
  }
  // A fork loop may add members while we kill: repeat until the group is empty.
  for (let round = 0; round < 50; round++) {
    const members = await cgroupMembers(group);
    if (members.length === 0) break;
    for (const pid of members) signalProcess(pid, 'SIGKILL');
    thawIfFrozen(group);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function removeContainerCgroup(group: ContainerCgroup): Promise<void> {
  for (const dir of cgroupDirs(group)) {
    for (let attempt = 0; ; attempt++) {
      try {
        // Off the main thread: the kernel can take milliseconds to let a group go.
        await rmdir(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        // EBUSY while the last killed members are still being torn down by the kernel.
        if (code !== 'EBUSY' || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
}
