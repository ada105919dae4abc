import { normalizeCapabilityName } from '@berth/core';
// .ts: the benchmark runs this module straight from source, where Node resolves no .js to .ts.
import { boundHostDirs, type HostView, isInsideAny } from './sandbox-view.ts';
import type { ResolvedUser } from './user-spec.js';

/*
 * Builds the argument vector that puts one process into a container: join the cgroups, enter
 * a bubblewrap mount namespace, drop privileges with setpriv, then exec the user's program.
 * Only argument arrays: the user's strings are never parsed by a shell. The one shell script
 * here is a constant that takes every value as a positional parameter.
 */

/** A top-level entry of the host's root, as bubblewrap re-creates it. */
export interface RootEntry {
  name: string;
  kind: 'dir' | 'file' | 'symlink';
  /** Link target, for symlinks. */
  target?: string;
}

/** Host programs the chain uses, with absolute paths (found once, when fingerprinting). */
export interface SandboxTools {
  sh: string;
  bwrap?: string;
  /** Extra bubblewrap flags this host needs (e.g. --unshare-user without root). */
  bwrapFlags: string[];
  setpriv?: string;
  /** util-linux nsenter, to join a running container's namespaces (root only). */
  nsenter?: string;
  /**
   * coreutils env: the last step of the chain, run with the container's own privileges, is the
   * only one that gets the container's environment (see buildSandboxCommand).
   */
  env?: string;
  /** What of the host a sandbox shows. */
  view: HostView;
}

/** A host directory shown as a tmpfs re-populated with its entries, so mount points can be made in it. */
export interface DirectoryOverlay {
  dir: string;
  entries: RootEntry[];
}

export interface BindMount {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface FilesystemPlan {
  readOnly: boolean;
  mounts: BindMount[];
  /**
   * The mounts' sources as open handles, one per mount in order: bubblewrap mounts what the
   * descriptor is (--bind-fd), so nothing swapped in at the path after the check is mounted.
   * Descriptor numbers in the child, given to the chain by its spawner.
   */
  mountFds?: number[];
  overlays: DirectoryOverlay[];
  /**
   * Host directories that stay writable (the container's own work dir), seen at `target`; the
   * source differs only for a warm sandbox, made before its directory was moved into place.
   */
  writable: { source: string; target: string }[];
  /** Host directories masked by an empty, read-only tmpfs (the driver's state, where visible). */
  hidden: string[];
  /** No network named: give the process an empty network namespace. */
  isolateNetwork: boolean;
  /** A network namespace to run in (a file under /run/netns), for an internal network. */
  netns?: string;
  /** The host directory bound read-only as the sandbox's /etc (see sandbox-etc.ts). */
  etc?: string;
  hostname?: string;
}

export interface SandboxPlan {
  command: string[];
  /** Working directory as the process sees it. */
  cwd: string;
  /**
   * The program's whole environment. It is set by the chain's last step, after privileges are
   * dropped, so no privileged process of the chain ever runs with it (LD_PRELOAD and friends).
   */
  env?: Record<string, string>;
  /** Switch to this user (needs setpriv, and root to do it). */
  user?: ResolvedUser;
  /** Supplementary groups to hold instead of none (with `user`). */
  groups?: number[];
  noNewPrivileges: boolean;
  capabilities?: { drop: string[]; add: string[] };
  /** Present when bubblewrap builds the filesystem view. */
  filesystem?: FilesystemPlan;
  /**
   * A process already inside the container's sandbox: join its namespaces (mounts, pids,
   * network, hostname, IPC) instead of building a new sandbox, so an exec sees the same /tmp,
   * the same processes, and can reach them over loopback.
   */
  joinNamespacesOf?: number;
  /** cgroup.procs files to join before anything else runs. */
  cgroupProcs: string[];
}

/**
 * Joins each cgroup given as a positional parameter, then execs the rest. Exit status 125, like
 * an OCI runtime, when a group cannot be joined: the process must not run unconfined.
 */
const JOIN_CGROUPS_SCRIPT =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done; exec "$@"';

/**
 * The ancestors of a mount point that the sandbox has to make: those on its tmpfs root, in its
 * /etc or /tmp, or below an overlay; not those bound from the host, which exist already.
 */
function parentsToMake(target: string, view: HostView, overlays: DirectoryOverlay[]): string[] {
  const bound = boundHostDirs(view);
  const dirs: string[] = [];
  const parts = target.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const dir = `/${parts.slice(0, i).join('/')}`;
    if (dir === '/tmp' || dir === '/etc') continue;
    if (view.system.some((e) => `/${e.name}` === dir)) continue;
    const underOverlay = overlays.some((o) => dir.startsWith(`${o.dir}/`));
    if (!underOverlay && (overlays.some((o) => o.dir === dir) || isInsideAny(dir, bound))) continue;
    dirs.push(dir);
  }
  return dirs;
}

function bwrapArgs(plan: SandboxPlan, fs: FilesystemPlan, tools: SandboxTools): string[] {
  const { view } = tools;
  // No --die-with-parent: a container outlives its supervisor, like any of its processes; stop
  // reaches every process through the process group and the cgroup anyway. A pid namespace of
  // its own: the container sees, signals and ptraces only its processes; bubblewrap's init
  // reaps them, and once the program ends the supervisor kills that init, the kernel the rest.
  const args = [...tools.bwrapFlags, '--unshare-pid', '--unshare-ipc', '--unshare-uts'];
  if (fs.hostname) args.push('--hostname', fs.hostname);
  if (fs.isolateNetwork && fs.netns === undefined) args.push('--unshare-net');
  const populate = (dir: string, entries: RootEntry[]) => {
    for (const entry of entries) {
      const path = dir === '/' ? `/${entry.name}` : `${dir}/${entry.name}`;
      if (entry.kind === 'symlink' && entry.target !== undefined) {
        args.push('--symlink', entry.target, path);
      } else {
        // The host's own files are never writable from inside, whatever the root is.
        args.push('--ro-bind', path, path);
      }
    }
  };
  // bubblewrap's root is an empty tmpfs: what is not bound here does not exist inside.
  populate('/', view.system);
  // Read-only whatever the root is: the driver's own root steps read it (ld.so.preload).
  if (fs.etc !== undefined) args.push('--ro-bind', fs.etc, '/etc');
  else args.push('--tmpfs', '/etc', '--remount-ro', '/etc');
  args.push('--proc', '/proc', '--dev', '/dev');
  // Its own /tmp, world-writable with the sticky bit like any /tmp (the user is rarely root).
  args.push('--perms', '1777', '--tmpfs', '/tmp');
  for (const overlay of fs.overlays) {
    args.push('--tmpfs', overlay.dir);
    populate(overlay.dir, overlay.entries);
  }
  for (const hidden of fs.hidden) args.push('--tmpfs', hidden);
  // bubblewrap would make missing parents of a mount point 0700 root, out of reach of the
  // container's user: they are made traversable first.
  const made = new Set<string>();
  for (const target of [...fs.writable.map((w) => w.target), ...fs.mounts.map((m) => m.target)]) {
    for (const dir of parentsToMake(target, view, fs.overlays)) {
      if (made.has(dir)) continue;
      made.add(dir);
      args.push('--perms', '0755', '--dir', dir);
    }
  }
  for (const dir of fs.writable) args.push('--bind', dir.source, dir.target);
  fs.mounts.forEach((mount, index) => {
    const fd = fs.mountFds?.[index];
    if (fd === undefined) throw new Error(`mount ${mount.target} has no open handle`);
    args.push(mount.readOnly ? '--ro-bind-fd' : '--bind-fd', String(fd), mount.target);
  });
  for (const hidden of fs.hidden) args.push('--remount-ro', hidden);
  for (const overlay of fs.overlays) args.push('--remount-ro', overlay.dir);
  if (fs.readOnly) args.push('--remount-ro', '/');
  args.push('--chdir', plan.cwd, '--');
  return args;
}

function capabilityArgs(caps: { drop: string[]; add: string[] }, nonRoot: boolean): string[] {
  const drop = caps.drop.map(normalizeCapabilityName);
  const add = caps.add.map(normalizeCapabilityName).filter((c) => c !== 'ALL');
  const plus = add.map((c) => `+${c.toLowerCase()}`);
  const args: string[] = [];
  if (drop.includes('ALL')) {
    const set = ['-all', ...plus].join(',');
    args.push('--bounding-set', set, '--inh-caps', set);
  } else {
    const removed = drop.filter((c) => !add.includes(c)).map((c) => `-${c.toLowerCase()}`);
    if (removed.length > 0) {
      args.push('--bounding-set', removed.join(','), '--inh-caps', ['-all', ...plus].join(','));
    } else if (plus.length > 0) {
      args.push('--inh-caps', ['-all', ...plus].join(','));
    }
  }
  // A non-root user loses every capability at exec; ambient ones are how added ones survive.
  if (nonRoot && plus.length > 0) args.push('--ambient-caps', plus.join(','));
  return args;
}

function setprivArgs(plan: SandboxPlan): string[] {
  const args: string[] = [];
  if (plan.user) {
    args.push('--reuid', String(plan.user.uid), '--regid', String(plan.user.gid));
    if (plan.groups && plan.groups.length > 0) args.push('--groups', plan.groups.join(','));
    else args.push('--clear-groups');
  }
  if (plan.noNewPrivileges) args.push('--no-new-privs');
  if (plan.capabilities) {
    args.push(
      ...capabilityArgs(plan.capabilities, (plan.user?.uid ?? process.getuid?.() ?? 0) !== 0),
    );
  }
  return args;
}

/** Whether the chain puts anything between the spawner and the program. */
function hasChain(plan: SandboxPlan, tools: SandboxTools): boolean {
  return (
    plan.cgroupProcs.length > 0 ||
    plan.filesystem !== undefined ||
    setprivArgs(plan).length > 0 ||
    (plan.joinNamespacesOf !== undefined && tools.nsenter !== undefined)
  );
}

/**
 * The full argument vector; element 0 is the program to spawn. With a chain, spawn it with an
 * empty environment: the processes before the program run as root, and a container's
 * environment (LD_PRELOAD, a PATH of its own) must never reach them. The program's environment
 * is set by coreutils env as the very last step, with the container's privileges; without a
 * chain (nothing privileged in the way) the spawner passes it itself.
 */
export function buildSandboxCommand(plan: SandboxPlan, tools: SandboxTools): string[] {
  const argv: string[] = [];
  if (plan.cgroupProcs.length > 0) {
    argv.push(tools.sh, '-c', JOIN_CGROUPS_SCRIPT, 'berth-join', String(plan.cgroupProcs.length));
    argv.push(...plan.cgroupProcs);
  }
  if (plan.filesystem && plan.joinNamespacesOf !== undefined && tools.nsenter) {
    argv.push(
      tools.nsenter,
      `--target=${plan.joinNamespacesOf}`,
      '--mount',
      '--pid',
      '--net',
      '--uts',
      '--ipc',
      `--wdns=${plan.cwd}`,
      '--',
    );
  } else if (plan.filesystem) {
    if (!tools.bwrap) throw new Error('bubblewrap is not available');
    if (plan.filesystem.netns !== undefined) {
      if (!tools.nsenter) throw new Error('nsenter is not available to join a network');
      argv.push(tools.nsenter, `--net=${plan.filesystem.netns}`, '--');
    }
    argv.push(tools.bwrap, ...bwrapArgs(plan, plan.filesystem, tools));
  }
  const privileges = setprivArgs(plan);
  if (privileges.length > 0) {
    if (!tools.setpriv) throw new Error('setpriv is not available');
    argv.push(tools.setpriv, ...privileges, '--');
  }
  if (plan.env !== undefined && argv.length > 0) {
    if (!tools.env) throw new Error('env (coreutils) is not available');
    // After `--` env takes NAME=VALUE words until the first that has no '=': the program.
    argv.push(tools.env, '-i', '--', ...Object.entries(plan.env).map(([k, v]) => `${k}=${v}`));
  }
  argv.push(...plan.command);
  return argv;
}

/**
 * How the spawned chain reaches the program, which is what a signal meant for the program must
 * find: `direct`, every step execs the next (the spawned process becomes the program);
 * `joined`, nsenter forks into the container's pid namespace (the program is its child, the
 * parent waits and passes its status on); `sandbox`, a bubblewrap of its own (the program is
 * the first child of bubblewrap's init, itself the child of the spawned monitor).
 */
export type ChainShape = 'direct' | 'joined' | 'sandbox';

export function chainShape(plan: SandboxPlan, tools: SandboxTools): ChainShape {
  if (!plan.filesystem) return 'direct';
  return plan.joinNamespacesOf !== undefined && tools.nsenter ? 'joined' : 'sandbox';
}

/**
 * Whether a process's arguments are those of one of the chain's own steps, as built above: each
 * names its tool by the absolute path the chain gave it, and the shell runs the join script.
 * A program may look like one only by naming itself so; it is then taken for a step a while.
 */
export function isChainStep(argv: string[], tools: SandboxTools): boolean {
  const [first] = argv;
  if (first === undefined) return false;
  if (first === tools.sh) return argv[1] === '-c' && argv[2] === JOIN_CGROUPS_SCRIPT;
  return [tools.nsenter, tools.bwrap, tools.setpriv, tools.env].includes(first);
}

/** The environment to spawn the chain with: the program's own only when nothing runs before it. */
export function spawnEnvironment(plan: SandboxPlan, tools: SandboxTools): Record<string, string> {
  return hasChain(plan, tools) ? {} : { ...(plan.env ?? {}) };
}

/** What a warm stub prints once it runs inside the finished chain, ready for its script. */
export const WARM_READY_LINE = 'berth-warm-ready\n';

/**
 * What a warm sandbox runs until it is given a container: a shell reading its script from
 * stdin, already inside the cgroups, namespaces and privileges the container's program gets.
 */
export function warmStub(tools: SandboxTools): string[] {
  // Says it is ready on stdout (nothing has to poll for the chain to be set up), then becomes
  // the shell that reads the script.
  const ready = WARM_READY_LINE.trimEnd();
  return [tools.sh, '-c', `echo ${ready}; exec "$0" -s`, tools.sh];
}

// Names the shell itself gives a meaning to: exporting one could change how it runs the script.
const SHELL_VARIABLES = new Set(['ENV', 'IFS', 'OPTIND', 'PPID', 'PS1', 'PS2', 'PS4', 'LINENO']);
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * The script that turns a warm stub into the container's program: export exactly the
 * container's environment, then exec the program with stdin from /dev/null. Every value is
 * single-quoted, inside which a POSIX shell gives no character a meaning but the quote itself,
 * which is closed, escaped and reopened; nothing is expanded, split or globbed. Undefined when
 * the shell cannot carry the values faithfully (a NUL byte, a name it cannot export, a name it
 * treats specially): the container then takes the cold path, which passes them to exec as is.
 */
export function warmStartScript(
  command: string[],
  env: Record<string, string>,
): string | undefined {
  const values = [...command, ...Object.entries(env).flat()];
  if (command.length === 0 || values.some((v) => v.includes('\0'))) return undefined;
  // The shell's exec would take a leading dash for an option of its own.
  if (command[0]?.startsWith('-')) return undefined;
  const lines: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!VARIABLE_NAME.test(name) || SHELL_VARIABLES.has(name)) return undefined;
    lines.push(`export ${shellQuote(`${name}=${value}`)}`);
  }
  lines.push(`exec ${command.map(shellQuote).join(' ')} 0</dev/null`);
  return `${lines.join('\n')}\n`;
}
