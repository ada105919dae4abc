import type { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { capabilitiesOf, fingerprintHost } from '../src/host/host-fingerprint.js';
import {
  buildSandboxCommand,
  type SandboxTools,
  spawnEnvironment,
} from '../src/isolation/sandbox-command.js';
import { formatLogLines, mergeByTime, type StoredLogLine } from '../src/logs/log-files.js';
import { formatTimestamp, LogClock, parseLogText, timestampMs } from '../src/logs/log-format.js';

const tools: SandboxTools = {
  sh: '/bin/sh',
  bwrap: '/usr/bin/bwrap',
  bwrapFlags: [],
  setpriv: '/usr/bin/setpriv',
  env: '/usr/bin/env',
  view: {
    system: [
      { name: 'usr', kind: 'dir' },
      { name: 'bin', kind: 'symlink', target: 'usr/bin' },
    ],
    etc: [
      { name: 'ld.so.cache', kind: 'file' },
      { name: 'ssl', kind: 'dir' },
    ],
  },
};

describe('sandbox command', () => {
  it('joins the cgroups with a constant script that takes values as parameters', () => {
    const argv = buildSandboxCommand(
      {
        command: ['echo', '$(rm -rf /)', '; id'],
        cwd: '/',
        noNewPrivileges: false,
        cgroupProcs: ['/cg/a/cgroup.procs', '/cg/b/cgroup.procs'],
      },
      tools,
    );
    expect(argv.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(argv[2]).not.toContain('cgroup.procs');
    expect(argv.slice(3)).toEqual([
      'berth-join',
      '2',
      '/cg/a/cgroup.procs',
      '/cg/b/cgroup.procs',
      'echo',
      '$(rm -rf /)',
      '; id',
    ]);
  });

  it('drops privileges with setpriv: user, no-new-privs, bounding and inheritable sets', () => {
    const argv = buildSandboxCommand(
      {
        command: ['true'],
        cwd: '/',
        user: { uid: 1000, gid: 1000 },
        noNewPrivileges: true,
        capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
        cgroupProcs: [],
      },
      tools,
    );
    expect(argv).toEqual([
      '/usr/bin/setpriv',
      '--reuid',
      '1000',
      '--regid',
      '1000',
      '--clear-groups',
      '--no-new-privs',
      '--bounding-set',
      '-all,+net_bind_service',
      '--inh-caps',
      '-all,+net_bind_service',
      '--ambient-caps',
      '+net_bind_service',
      '--',
      'true',
    ]);
  });

  it('shows only the host view, in a pid namespace, with mounts bound by handle', () => {
    const argv = buildSandboxCommand(
      {
        command: ['true'],
        cwd: '/work',
        noNewPrivileges: false,
        cgroupProcs: [],
        filesystem: {
          readOnly: true,
          mounts: [
            { source: '/v', target: '/data', readOnly: false },
            { source: '/w', target: '/usr/x', readOnly: true },
          ],
          mountFds: [3, 4],
          overlays: [{ dir: '/usr', entries: [{ name: 'lib', kind: 'dir' }] }],
          writable: [{ source: '/state/c/work', target: '/state/c/work' }],
          hidden: [],
          isolateNetwork: true,
          etc: '/cache/etc/0123',
          hostname: 'c1',
        },
      },
      tools,
    );
    const text = argv.join(' ');
    expect(argv.slice(0, 5)).toEqual([
      '/usr/bin/bwrap',
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      '--hostname',
    ]);
    expect(argv).toContain('--unshare-net');
    // Nothing of the host's root but the view: never a bind of / itself, never a path source.
    expect(text).not.toContain('--ro-bind / /');
    expect(text).not.toContain('--bind /v');
    // /etc is one read-only copy, never the host's own.
    expect(text).toContain(
      '--ro-bind /usr /usr --symlink usr/bin /bin --ro-bind /cache/etc/0123 /etc',
    );
    expect(text).not.toContain('--ro-bind /etc');
    expect(text).toContain('--perms 1777 --tmpfs /tmp');
    expect(text).toContain('--tmpfs /usr --ro-bind /usr/lib /usr/lib');
    expect(text).toContain('--bind-fd 3 /data --ro-bind-fd 4 /usr/x');
    expect(text).toContain('--remount-ro /usr --remount-ro / --chdir /work -- true');
  });

  it('sets the environment only in the last step, after privileges are dropped', () => {
    const plan = {
      command: ['prog', 'arg'],
      cwd: '/',
      env: { LD_PRELOAD: '/work/evil.so', PATH: '/usr/bin' },
      user: { uid: 2000, gid: 2000 },
      noNewPrivileges: true,
      cgroupProcs: ['/cg/cgroup.procs'],
    };
    const argv = buildSandboxCommand(plan, tools);
    const envAt = argv.indexOf('/usr/bin/env');
    expect(envAt).toBeGreaterThan(argv.indexOf('/usr/bin/setpriv'));
    expect(argv.slice(envAt)).toEqual([
      '/usr/bin/env',
      '-i',
      '--',
      'LD_PRELOAD=/work/evil.so',
      'PATH=/usr/bin',
      'prog',
      'arg',
    ]);
    // The chain (root until setpriv) is spawned with nothing of it.
    expect(spawnEnvironment(plan, tools)).toEqual({});
    // Without a chain the spawner passes it, as nothing privileged runs first.
    const bare = {
      command: ['prog'],
      cwd: '/',
      env: { A: '1' },
      noNewPrivileges: false,
      cgroupProcs: [],
    };
    expect(buildSandboxCommand(bare, tools)).toEqual(['prog']);
    expect(spawnEnvironment(bare, tools)).toEqual({ A: '1' });
  });
});

describe('log format', () => {
  it('stamps strictly increasing nanosecond timestamps', () => {
    const clock = new LogClock();
    const stamps = Array.from({ length: 1000 }, () => clock.next());
    for (let i = 1; i < stamps.length; i++) {
      expect((stamps[i] as string) > (stamps[i - 1] as string)).toBe(true);
    }
    expect(stamps[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(formatTimestamp(1_700_000_000_123_456_789n)).toBe('2023-11-14T22:13:20.123456789Z');
    expect(timestampMs('2023-11-14T22:13:20.123456789Z')).toBe(1_700_000_000_123);
  });

  it('parses complete records, keeps empty lines and leaves a partial record for later', () => {
    const ts = '2023-11-14T22:13:20.123456789Z';
    const { lines, consumed } = parseLogText(`${ts} a b\n${ts} \n${ts} partial`);
    expect(lines).toEqual([
      { timestamp: ts, text: 'a b' },
      { timestamp: ts, text: '' },
    ]);
    expect(consumed).toBe(`${ts} a b\n${ts} \n`.length);
  });

  it('merges the two streams by timestamp and formats them', () => {
    const line = (stream: 'stdout' | 'stderr', n: number, text: string): StoredLogLine => ({
      stream,
      timestamp: formatTimestamp(BigInt(n)),
      text,
    });
    const merged = mergeByTime(
      [line('stdout', 1, 'a'), line('stdout', 4, 'd')],
      [line('stderr', 2, 'b'), line('stderr', 3, 'c')],
    );
    expect(formatLogLines(merged, false)).toBe('a\nb\nc\nd\n');
    expect(formatLogLines([], true)).toBe('');
  });
});

describe('host fingerprint', () => {
  it('reports what its probes show, not what is installed', async () => {
    // Every probe fails, as on a host where the binaries exist but are blocked.
    const failing = (async () => ({
      exitCode: 1,
      stderr: 'Operation not permitted',
      shortMessage: 'failed',
    })) as unknown as typeof execa;
    const host = await fingerprintHost(failing, { cgroups: false });
    const caps = capabilitiesOf(host);
    expect(caps).toMatchObject({
      cpu: false,
      memory: false,
      pids: false,
      readOnlyRootfs: false,
      noNewPrivileges: false,
      user: false,
      capabilityDrop: false,
      volumes: false,
      disk: false,
      ports: false,
      networks: 'logical',
    });
    expect(host.bubblewrap.reason).toMatch(/not installed|cannot run/);
    expect(host.cgroups.reason).toMatch(/disabled/);
  });
});
