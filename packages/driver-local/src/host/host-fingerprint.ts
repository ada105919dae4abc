import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { arch, platform, release } from 'node:os';
import { delimiter, join } from 'node:path';
import type { PrimitiveCapabilities } from '@berth/core/kit';
import type { execa as Execa } from 'execa';
import { type CgroupLayout, detectCgroupLayout } from '../isolation/cgroups.js';
import { makeNamespace, runIp } from '../isolation/network-namespaces.js';
import {
  buildSandboxCommand,
  type SandboxTools,
  WARM_READY_LINE,
  warmStartScript,
  warmStub,
} from '../isolation/sandbox-command.js';
import { readHostView } from '../isolation/sandbox-view.js';

/** Which host mechanisms the driver may use; each defaults to "if this host has it". */
export interface IsolationSettings {
  cgroups?: boolean;
  setpriv?: boolean;
  bubblewrap?: boolean;
}

export interface HostFingerprint {
  platform: string;
  arch: string;
  kernel: string;
  uid: number;
  isRoot: boolean;
  cgroups: CgroupLayout;
  setpriv: {
    path?: string;
    noNewPrivileges: boolean;
    user: boolean;
    capabilities: boolean;
    reason?: string;
  };
  bubblewrap: { path?: string; works: boolean; flags: string[]; reason?: string };
  /** Internal networks as network namespaces of their own (iproute2, as root), checked to hold nothing but loopback. */
  networks: { isolated: boolean; ip?: string; reason?: string };
  /** The shell hands a script's exports and exec to a program exactly (see warmStartScript). */
  warmStart: boolean;
  tools: SandboxTools;
}

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export async function findExecutable(
  name: string,
  pathVariable: string | undefined,
): Promise<string | undefined> {
  const dirs = [...(pathVariable ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

async function probe(execa: typeof Execa, argv: string[]): Promise<string | undefined> {
  const [file, ...args] = argv;
  if (!file) return 'empty command';
  const result = await execa(file, args, {
    reject: false,
    stdin: 'ignore',
    timeout: 10_000,
    env: { PATH: SYSTEM_DIRS.join(':') },
    extendEnv: false,
  });
  if (result.exitCode === 0) return undefined;
  const detail = String(result.stderr ?? '').trim() || result.shortMessage || 'failed';
  return `exit ${result.exitCode ?? '?'}: ${detail}`;
}

/**
 * Finds out, by trying, what this host lets the driver enforce. Nothing is assumed from the
 * presence of a binary alone: bubblewrap may be installed yet blocked (no user namespaces), and
 * a cgroup tree may be mounted read-only.
 */
export async function fingerprintHost(
  execa: typeof Execa,
  settings: IsolationSettings = {},
): Promise<HostFingerprint> {
  const uid = process.getuid?.() ?? -1;
  const isRoot = uid === 0;
  const sh = (await findExecutable('sh', process.env.PATH)) ?? '/bin/sh';
  const linux = platform() === 'linux';
  const env = await findExecutable('env', undefined);
  const tools: SandboxTools = {
    sh,
    bwrapFlags: [],
    ...(env ? { env } : {}),
    view: linux ? await readHostView() : { system: [], etc: [] },
  };

  const cgroups =
    settings.cgroups === false
      ? {
          version: null,
          mounts: {},
          parent: 'berth',
          enforced: { cpu: false, memory: false, pids: false },
          reason: 'cgroups disabled by the isolation option',
          freezer: false,
          freezerReason: 'cgroups disabled by the isolation option',
        }
      : await detectCgroupLayout();

  const setpriv: HostFingerprint['setpriv'] = {
    noNewPrivileges: false,
    user: false,
    capabilities: false,
  };
  if (settings.setpriv === false) {
    setpriv.reason = 'setpriv disabled by the isolation option';
  } else if (!linux) {
    setpriv.reason = 'setpriv exists only on Linux';
  } else {
    const path = await findExecutable('setpriv', process.env.PATH);
    if (!path) {
      setpriv.reason = 'setpriv (util-linux) is not installed';
    } else {
      setpriv.path = path;
      tools.setpriv = path;
      const nnp = await probe(execa, [path, '--no-new-privs', '--', 'true']);
      setpriv.noNewPrivileges = nnp === undefined;
      if (isRoot) {
        const drop = await probe(execa, [
          path,
          '--reuid',
          '65534',
          '--regid',
          '65534',
          '--clear-groups',
          '--bounding-set',
          '-all',
          '--inh-caps',
          '-all',
          '--',
          'true',
        ]);
        setpriv.user = drop === undefined;
        setpriv.capabilities = drop === undefined;
        if (drop) setpriv.reason = `setpriv cannot switch user or drop capabilities: ${drop}`;
      } else {
        setpriv.reason = 'switching user and dropping capabilities need root';
      }
      if (nnp) setpriv.reason = `setpriv --no-new-privs failed: ${nnp}`;
    }
  }

  const bubblewrap: HostFingerprint['bubblewrap'] = { works: false, flags: [] };
  if (settings.bubblewrap === false) {
    bubblewrap.reason = 'bubblewrap disabled by the isolation option';
  } else if (!linux) {
    bubblewrap.reason = 'bubblewrap exists only on Linux';
  } else {
    const path = await findExecutable('bwrap', process.env.PATH);
    if (!path) {
      bubblewrap.reason = 'bubblewrap (bwrap) is not installed';
    } else {
      bubblewrap.path = path;
      // Without root, bubblewrap needs an unprivileged user namespace to mount anything.
      const attempts = isRoot ? [[], ['--unshare-user']] : [['--unshare-user']];
      const failures: string[] = [];
      for (const flags of attempts) {
        const candidate: SandboxTools = { ...tools, bwrap: path, bwrapFlags: flags };
        const argv = buildSandboxCommand(
          {
            command: ['true'],
            cwd: '/',
            noNewPrivileges: false,
            cgroupProcs: [],
            filesystem: {
              readOnly: true,
              mounts: [],
              overlays: [],
              writable: [],
              hidden: [],
              isolateNetwork: true,
              hostname: 'berth-probe',
            },
          },
          candidate,
        );
        const failure = await probe(execa, argv);
        if (failure === undefined) {
          bubblewrap.works = true;
          bubblewrap.flags = flags;
          tools.bwrap = path;
          tools.bwrapFlags = flags;
          break;
        }
        failures.push(failure);
      }
      if (!bubblewrap.works)
        bubblewrap.reason = `bubblewrap cannot run here: ${failures.join('; ')}`;
    }
  }

  if (isRoot && bubblewrap.works && tools.bwrapFlags.length === 0) {
    const nsenter = await findExecutable('nsenter', process.env.PATH);
    if (nsenter) tools.nsenter = nsenter;
  }
  const networks = await probeNetworks(execa, tools);

  return {
    platform: platform(),
    arch: arch(),
    kernel: release(),
    uid,
    isRoot,
    cgroups,
    setpriv,
    bubblewrap,
    networks,
    warmStart: linux && (await probeWarmStart(execa, tools)),
    tools,
  };
}

/**
 * Whether internal networks can be real: a fresh namespace made the way NetworkStore makes one
 * must hold only a loopback and have no IPv4 route at all, so nothing in it reaches the host or
 * anything beyond. Joining one needs nsenter, which the driver uses only as root.
 */
async function probeNetworks(
  execa: typeof Execa,
  tools: SandboxTools,
): Promise<HostFingerprint['networks']> {
  if (!tools.nsenter || !tools.bwrap) {
    return { isolated: false, reason: 'network namespaces need root, bubblewrap and nsenter' };
  }
  const ip = await findExecutable('ip', undefined);
  if (!ip) return { isolated: false, reason: 'iproute2 (ip) is not installed' };
  const backend = { execa, ip };
  const name = `berth-probe-${randomBytes(6).toString('hex')}`;
  try {
    await makeNamespace(backend, name);
  } catch (error) {
    return {
      isolated: false,
      reason: `cannot make a network namespace: ${(error as Error).message}`,
    };
  }
  try {
    const links = (await runIp(backend, ['-n', name, '-o', 'link', 'show'])).trim().split('\n');
    const routes = (
      await runIp(backend, ['-n', name, '-4', 'route', 'show', 'table', 'all'])
    ).trim();
    const onlyLoopback = links.length === 1 && /^\d+: lo:/.test(links[0] ?? '');
    const noRoute = routes.split('\n').every((r) => r === '' || /\bdev lo\b/.test(r));
    if (!onlyLoopback || !noRoute) {
      return {
        isolated: false,
        reason: `a fresh network namespace is not empty here: ${links.join('; ')} / ${routes}`,
      };
    }
    return { isolated: true, ip };
  } catch (error) {
    return {
      isolated: false,
      reason: `cannot inspect a network namespace: ${(error as Error).message}`,
    };
  } finally {
    await runIp(backend, ['netns', 'delete', name]).catch(() => undefined);
  }
}

/**
 * Whether this host's shell runs a warm start's script faithfully: the program gets exactly the
 * exported environment (a bash as sh would add SHLVL and _), awkward characters and all; the
 * arguments go through the same quoting.
 */
async function probeWarmStart(execa: typeof Execa, tools: SandboxTools): Promise<boolean> {
  const env = tools.env;
  if (!env) return false;
  const expected = { PROBE: `a'b $x \`y\` "z"\n\\`, PWD: '/' };
  const script = warmStartScript([env], expected);
  const [file, ...args] = warmStub(tools);
  const result = await execa(file as string, args, {
    reject: false,
    input: script,
    cwd: '/',
    timeout: 10_000,
    env: {},
    extendEnv: false,
    stripFinalNewline: false,
  });
  const wanted = Object.entries(expected).map(([k, v]) => `${k}=${v}\n`);
  const said = String(result.stdout ?? '');
  if (!said.startsWith(WARM_READY_LINE)) return false;
  const got = said.slice(WARM_READY_LINE.length);
  return (
    result.exitCode === 0 &&
    got.length === wanted.join('').length &&
    wanted.every((line) => got.includes(line))
  );
}

export function capabilitiesOf(host: HostFingerprint): PrimitiveCapabilities {
  return {
    cpu: host.cgroups.enforced.cpu,
    memory: host.cgroups.enforced.memory,
    pids: host.cgroups.enforced.pids,
    disk: false,
    readOnlyRootfs: host.bubblewrap.works,
    noNewPrivileges: host.setpriv.noNewPrivileges,
    user: host.setpriv.user,
    capabilityDrop: host.setpriv.capabilities,
    networks: host.networks.isolated ? 'isolated' : 'logical',
    // Mounting needs bubblewrap's mount namespace.
    volumes: host.bubblewrap.works,
    ports: false,
    exec: true,
    stats: true,
    logsFollow: true,
    healthchecks: true,
    // Only the freezer pauses a container so that it can neither tell nor undo it: without a
    // group that freezes (no cgroups here, or disabled) there is no pause at all.
    pause: host.cgroups.freezer,
    signals: true,
    // A spawned program is found under its chain, and known again by pid and start time,
    // through /proc.
    processes: host.platform === 'linux',
    processAttach: host.platform === 'linux',
    // Paths are confined to what a sandbox shows (see files/): without one there is no such view.
    files: host.bubblewrap.works,
  };
}
