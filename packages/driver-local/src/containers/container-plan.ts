import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import type { ContainerConfig } from '@berth/core';
import type { HostFingerprint } from '../host/host-fingerprint.js';
import type { CgroupLimits } from '../isolation/cgroups.js';
// .ts: the benchmark runs this module straight from source, where Node resolves no .js to .ts.
import { type BindMount, type SandboxPlan, warmStartScript } from '../isolation/sandbox-command.ts';
// .ts: the benchmark runs this module straight from source, where Node resolves no .js to .ts.
import {
  boundHostDirs,
  type HostView,
  isInsideAny,
  visibleThroughView,
} from '../isolation/sandbox-view.ts';
import type { ResolvedUser } from '../isolation/user-spec.js';
import type { ContainerRecord } from '../state/container-record.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * A container's environment: its own variables over a small base (PATH, HOME, HOSTNAME), plus
 * only the driver's variables named in inheritEnv. The driver's environment is not passed on
 * wholesale: it routinely holds credentials a sandbox must not see.
 */
export function containerEnvironment(
  own: Record<string, string>,
  base: { name: string; home: string },
  inherit: string[],
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: DEFAULT_PATH,
    HOME: base.home,
    HOSTNAME: base.name,
  };
  for (const key of inherit) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...own };
}

export interface PlanContext {
  host: HostFingerprint;
  stateDir: string;
  workDir: string;
  /** The directory bound as the sandbox's /etc (see sandbox-etc.ts). */
  etc?: string;
  /** Where the work directory is on the host now, if not yet at workDir (a warm sandbox). */
  workDirSource?: string;
}

export interface ProcessOverrides {
  command: string[];
  cwd?: string;
  env?: Record<string, string>;
  user?: ResolvedUser;
  cgroupProcs: string[];
  /** A process inside the running container's sandbox, to join rather than build a new one. */
  joinNamespacesOf?: number;
  /** Descriptor numbers the mounts' sources will have in the chain (a cold start). */
  mountFds?: number[];
}

/** How one process of the container is isolated, given what this host can enforce. */
export function planProcess(
  record: ContainerRecord,
  context: PlanContext,
  overrides: ProcessOverrides,
): { plan: SandboxPlan; spawnCwd: string; env: Record<string, string> } {
  const { host } = context;
  const { security } = record.config;
  const cwd = overrides.cwd ?? record.cwd;
  const env = { ...record.env, ...(overrides.env ?? {}), PWD: cwd };
  const plan: SandboxPlan = {
    command: overrides.command,
    cwd,
    env,
    noNewPrivileges: security.noNewPrivileges && host.setpriv.noNewPrivileges,
    cgroupProcs: overrides.cgroupProcs,
  };
  if (host.setpriv.user) {
    plan.user = overrides.user ?? record.user;
    if (record.groups && record.groups.length > 0) plan.groups = record.groups;
  }
  const { drop, add } = security.capabilities;
  if (host.setpriv.capabilities && (drop.length > 0 || add.length > 0)) {
    plan.capabilities = { drop, add };
  }
  // Every container gets a sandbox where bubblewrap runs, whatever its config asks for: the pid
  // namespace and the minimal view of the host are not options.
  if (host.bubblewrap.works) {
    const bound = boundHostDirs(host.tools.view);
    plan.filesystem = {
      readOnly: security.readOnly,
      mounts: record.mounts,
      ...(overrides.mountFds ? { mountFds: overrides.mountFds } : {}),
      overlays: record.overlays,
      writable: [{ source: context.workDirSource ?? context.workDir, target: context.workDir }],
      // Only where the state directory would show through a bound host directory.
      hidden: isInsideAny(context.stateDir, bound) ? [context.stateDir] : [],
      isolateNetwork: record.config.network === undefined || record.netns !== undefined,
      ...(record.netns !== undefined ? { netns: record.netns } : {}),
      ...(context.etc !== undefined ? { etc: context.etc } : {}),
      hostname: record.name,
    };
    if (overrides.joinNamespacesOf !== undefined)
      plan.joinNamespacesOf = overrides.joinNamespacesOf;
  }
  // Inside bubblewrap the working directory is set by --chdir; outside it, by spawn itself.
  return { plan, spawnCwd: hostPath(plan.filesystem ? context.workDir : cwd, context), env };
}

/** Where a path under the work directory is on the host while it is still elsewhere. */
function hostPath(path: string, context: PlanContext): string {
  const { workDir, workDirSource } = context;
  if (workDirSource === undefined || !inside(path, workDir)) return path;
  return join(workDirSource, path.slice(workDir.length));
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root === '/' ? root : `${root}${sep}`);
}

/** The host path behind a path the container sees, following its mounts. */
export function hostPathOf(path: string, mounts: BindMount[]): string {
  const mount = [...mounts]
    .sort((a, b) => b.target.length - a.target.length)
    .find((m) => inside(path, m.target));
  return mount ? join(mount.source, path.slice(mount.target.length)) : path;
}

function isExecutableFile(path: string): boolean {
  try {
    // No exception for the usual miss: PATH is searched entry by entry.
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where a container's processes look for files: its mounts, its work dir, the host view. */
export interface ProgramLookup {
  mounts: BindMount[];
  /** Present when the process runs in a sandbox: then only this much of the host is there. */
  sandbox?: { view: HostView; workDir: string };
}

function visibleInSandbox(path: string, lookup: ProgramLookup): boolean {
  const { sandbox } = lookup;
  if (!sandbox) return true;
  if (inside(path, sandbox.workDir)) return true;
  if (lookup.mounts.some((m) => inside(path, m.target))) return true;
  return visibleThroughView(path, sandbox.view);
}

/** Whether what a host path resolves to is something the sandbox shows. */
function realPathVisible(host: string, lookup: ProgramLookup): boolean {
  let real: string;
  try {
    real = realpathSync(host);
  } catch {
    return false;
  }
  const { sandbox } = lookup;
  if (!sandbox) return true;
  if (inside(real, sandbox.workDir)) return true;
  if (lookup.mounts.some((m) => inside(real, m.source))) return true;
  return visibleThroughView(real, sandbox.view);
}

/** Whether the program would be found, looked up the way execvp will inside the container. */
export async function programExists(
  program: string,
  env: Record<string, string>,
  cwd: string,
  lookup: ProgramLookup,
): Promise<boolean> {
  const found = (path: string) => {
    if (!visibleInSandbox(path, lookup)) return false;
    const host = hostPathOf(path, lookup.mounts);
    // Checked by the driver, as root, on the host: a symlink the container left in its work dir
    // must not make it answer for a host file the sandbox cannot see.
    if (lookup.sandbox && !realPathVisible(host, lookup)) return false;
    return isExecutableFile(host);
  };
  if (program.includes('/')) return found(isAbsolute(program) ? program : join(cwd, program));
  for (const dir of (env.PATH ?? DEFAULT_PATH).split(':')) {
    if (dir && found(join(dir, program))) return true;
  }
  return false;
}

/**
 * The cgroup limits this host enforces for the config; undefined when it gets no cgroup. A host
 * that enforces none but can freeze still gives each container a group: pause needs it.
 */
export function limitsOf(host: HostFingerprint, config: ContainerConfig): CgroupLimits | undefined {
  const { cpu, memory, pids } = host.cgroups.enforced;
  if (!cpu && !memory && !pids) return host.cgroups.freezer ? {} : undefined;
  const { resources } = config;
  return {
    ...(cpu ? { cpu: resources.cpu } : {}),
    ...(memory ? { memory: resources.memory } : {}),
    ...(pids ? { pids: resources.pids } : {}),
  };
}

/** What a warm sandbox's stub is given to become this container's program. */
export function warmScriptOf(record: ContainerRecord): string | undefined {
  return warmStartScript(record.command, { ...record.env, PWD: record.cwd });
}
