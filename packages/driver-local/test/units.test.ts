import type { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { capabilitiesOf, fingerprintHost } from '../src/host-fingerprint.js';
import { formatLogLines, mergeByTime, type StoredLogLine } from '../src/log-files.js';
import { formatTimestamp, LogClock, parseLogText, timestampMs } from '../src/log-format.js';
import { buildSandboxCommand, type SandboxTools } from '../src/sandbox-command.js';

const tools: SandboxTools = {
  sh: '/bin/sh',
  bwrap: '/usr/bin/bwrap',
  bwrapFlags: [],
  setpriv: '/usr/bin/setpriv',
  rootEntries: [
    { name: 'usr', kind: 'dir' },
    { name: 'bin', kind: 'symlink', target: 'usr/bin' },
    { name: 'tmp', kind: 'dir' },
    { name: 'proc', kind: 'dir' },
  ],
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

  it('binds the root once, or entry by entry when a mount point must be created', () => {
    const base = {
      command: ['true'],
      cwd: '/work',
      noNewPrivileges: false,
      cgroupProcs: [],
    };
    const fs = {
      readOnly: true,
      overlays: [],
      writable: [{ source: '/state/c/work', target: '/state/c/work' }],
      hidden: ['/state'],
      isolateNetwork: true,
      hostname: 'c1',
    };
    const simple = buildSandboxCommand(
      {
        ...base,
        filesystem: { ...fs, mounts: [{ source: '/v', target: '/usr/x', readOnly: true }] },
      },
      tools,
    );
    expect(simple.join(' ')).toContain('--ro-bind / / --proc /proc --dev /dev');
    expect(simple).toContain('--unshare-net');
    const created = buildSandboxCommand(
      {
        ...base,
        filesystem: { ...fs, mounts: [{ source: '/v', target: '/data', readOnly: false }] },
      },
      tools,
    );
    const text = created.join(' ');
    expect(text).toContain('--ro-bind /usr /usr --symlink usr/bin /bin');
    expect(text).not.toContain('--ro-bind /proc');
    expect(text).toContain('--tmpfs /state --bind /state/c/work /state/c/work --bind /v /data');
    expect(text).toContain('--remount-ro /state --remount-ro / --chdir /work --');
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
