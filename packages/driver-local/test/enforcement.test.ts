import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnsupportedFeatureError } from '@berth/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalDriver } from '../src/index.js';
import {
  containerUid,
  eventually,
  hostPidOf,
  makeDriver,
  procStatus,
  shell,
  tempDir,
} from './helpers.js';

/*
 * These run for real on the CI host (root, cgroups, setpriv, bubblewrap). Where a mechanism is
 * missing the driver must say so in capabilities(): that is asserted first, so a weaker host
 * fails here loudly instead of passing by skipping.
 */

const isRoot = process.getuid?.() === 0;

async function runRecord(driver: LocalDriver, id: string) {
  return JSON.parse(
    await readFile(join(driver.stateDir, 'containers', id, 'run.json'), 'utf8'),
  ) as {
    meta: { cgroup?: { version: 1 | 2; dirs: Record<string, string> } };
  };
}

describe('host enforcement', () => {
  beforeAll(async () => {
    const driver = new LocalDriver({ stateDir: await tempDir('caps-') });
    const caps = await driver.capabilities();
    const host = await driver.hostFingerprint();
    await driver.close();
    // The project's CI host provides all of these (scripts/local-host.sh); say which is missing.
    expect({
      caps,
      reasons: [host.cgroups.reason, host.setpriv.reason, host.bubblewrap.reason],
    }).toMatchObject({
      caps: {
        cpu: true,
        memory: true,
        pids: true,
        readOnlyRootfs: true,
        noNewPrivileges: true,
        user: isRoot,
        capabilityDrop: isRoot,
        networks: isRoot ? 'isolated' : 'logical',
      },
    });
  });

  it('kills a memory hog at its limit and reports oomKilled', async () => {
    const driver = await makeDriver();
    // Doubles a shell string until it no longer fits in 32 MB.
    const c = await driver.createContainer(
      shell('x=0123456789abcdef; while :; do x="$x$x"; done', { resources: { memory: 32 } }),
    );
    await driver.startContainer(c.id);
    expect(await driver.waitContainer(c.id)).toEqual({ exitCode: 137, oomKilled: true });
  });

  it('stops a fork loop at the pids limit', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('i=0; while [ $i -lt 200 ]; do sleep 300 & i=$((i + 1)); done; echo spawned all', {
        resources: { pids: 20 },
      }),
    );
    await driver.startContainer(c.id);
    const result = await driver.waitContainer(c.id);
    expect(result.exitCode).not.toBe(0);
    const logs = await driver.getContainerLogs(c.id);
    expect(logs).toMatch(/fork/i);
    expect(logs).not.toContain('spawned all');
  });

  it('writes the cpu quota, memory and pids limits into the container cgroup', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('sleep 300', { resources: { cpu: 1.5, memory: 100, pids: 42 } }),
    );
    await driver.startContainer(c.id);
    const { meta } = await runRecord(driver, c.id);
    const group = meta.cgroup;
    expect(group).toBeDefined();
    const read = (controller: string, file: string) =>
      readFile(join(group?.dirs[controller] as string, file), 'utf8').then((t) => t.trim());
    if (group?.version === 2) {
      expect(await read('cpu', 'cpu.max')).toBe('150000 100000');
      expect(await read('memory', 'memory.max')).toBe(String(100 * 1024 * 1024));
    } else {
      expect(await read('cpu', 'cpu.cfs_quota_us')).toBe('150000');
      expect(await read('cpu', 'cpu.cfs_period_us')).toBe('100000');
      expect(await read('memory', 'memory.limit_in_bytes')).toBe(String(100 * 1024 * 1024));
    }
    expect(await read('pids', 'pids.max')).toBe('42');
    const members = (await read('pids', 'cgroup.procs')).split('\n').map(Number);
    expect(members.length).toBeGreaterThan(0);
  });

  it('runs with no new privileges, no capabilities and the configured user', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('echo $$; exec sleep 300'));
    await driver.startContainer(c.id);
    const printed = await eventually(
      'the container to print its pid (its logs)',
      async () => (await driver.getContainerLogs(c.id)).trim(),
      (text) => text !== '',
    );
    // Read from the host, about the container's own process (it printed its namespace's pid).
    const pid = await hostPidOf(containerUid(driver.stateDir, c.id), Number(printed));
    const status = await procStatus(pid);
    expect(status.NoNewPrivs).toBe('1');
    expect(status.CapEff).toBe('0000000000000000');
    expect(status.CapPrm).toBe('0000000000000000');
    expect(status.CapBnd).toBe('0000000000000000');
    // An identity of its own, real, effective, saved and filesystem ids alike.
    const uid = String(containerUid(driver.stateDir, c.id));
    expect(status.Uid?.split(/\s+/)).toEqual([uid, uid, uid, uid]);
    expect(status.Gid?.split(/\s+/)).toEqual([uid, uid, uid, uid]);
  });

  it('drops every capability but the ones added, which a non-root user keeps', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('grep -E "^(CapEff|CapBnd)" /proc/self/status; id -u', {
        security: { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } },
      }),
    );
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    // NET_BIND_SERVICE is bit 10.
    expect(await driver.getContainerLogs(c.id)).toBe(
      `CapEff:\t0000000000000400\nCapBnd:\t0000000000000400\n${containerUid(driver.stateDir, c.id)}\n`,
    );
  });

  it('makes the root read-only: writes fail outside the work dir, /tmp and volumes', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell(
        'for p in /etc/berth-probe /usr/berth-probe /berth-probe ./ok /tmp/ok /data/ok; do if echo x > $p 2>/dev/null; then echo "$p writable"; else echo "$p denied"; fi; done',
        { volumes: [{ source: 'ro-test', target: '/data' }] },
      ),
    );
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    expect(await driver.getContainerLogs(c.id, { stderr: false })).toBe(
      [
        '/etc/berth-probe denied',
        '/usr/berth-probe denied',
        '/berth-probe denied',
        './ok writable',
        '/tmp/ok writable',
        '/data/ok writable',
        '',
      ].join('\n'),
    );
  });

  it('hides the state directory and gives no network when none is named', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('ls -A "$STATE" | wc -l; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "', {
        env: { STATE: driver.stateDir },
      }),
    );
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    // Only the path to its own work dir is visible, and only loopback exists.
    expect(await driver.getContainerLogs(c.id)).toBe('1\nlo\n');
  });

  it('refuses, under strict enforcement, what the host cannot enforce, naming each item', async () => {
    const driver = await makeDriver({ isolation: { bubblewrap: false, cgroups: false } });
    const caps = await driver.capabilities();
    expect(caps).toMatchObject({ readOnlyRootfs: false, memory: false, cpu: false, pids: false });
    const error = await driver.createContainer(shell('true')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect((error as UnsupportedFeatureError).features.map((f) => f.feature).sort()).toEqual([
      'cpu',
      'memory',
      'pids',
      'readOnlyRootfs',
    ]);
    expect(await driver.listContainers()).toEqual([]);
  });

  it('runs under best-effort enforcement and lists what was not enforced', async () => {
    const driver = await makeDriver({
      enforcement: 'best-effort',
      isolation: { bubblewrap: false },
    });
    const c = await driver.createContainer(shell('echo ran'));
    expect(c.unenforced?.map((u) => u.feature)).toEqual(['readOnlyRootfs']);
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    expect(await driver.getContainerLogs(c.id)).toBe('ran\n');
    expect((await driver.getContainer(c.id))?.unenforced?.map((u) => u.feature)).toEqual([
      'readOnlyRootfs',
    ]);
  });
});
