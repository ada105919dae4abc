import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthEvents, UnsupportedFeatureError, withEvents, wrapDriver } from '@berth/core';
import { expect, it } from 'vitest';
import { DockerDriver } from '../../src/index.js';
import {
  describeEngine,
  docker,
  IMAGE,
  shell,
  suiteTempDir,
  useSession,
} from '../support/engine.js';

describeEngine('config mapping, verified by inspecting the engine', () => {
  const hostDir = suiteTempDir('berth-bind-', (dir) => {
    writeFileSync(join(dir, 'hello.txt'), 'from the host\n', { mode: 0o644 });
    // Readable by the container's unprivileged user; it is made 0700.
    chmodSync(dir, 0o755);
  });
  // Bind mounts need an allowed root: none are allowed by default.
  const { driver, session } = useSession('mapping', {
    labels: { team: 'berth-tests' },
    allowedRoots: [hostDir],
  });

  it('maps limits, security, mounts, network, ports, healthcheck and labels', async () => {
    const network = await driver.createNetwork({ name: `${session}-net`, sessionId: session });
    const volume = `${session}-data`;
    const instance = await driver.createContainer({
      sessionId: session,
      tenantId: 'tenant-x',
      image: IMAGE,
      command: ['sleep', '300'],
      env: { GREETING: 'hi' },
      labels: { app: 'mapping' },
      resources: { cpu: 1.5, memory: 96, pids: 42 },
      security: {
        readOnly: true,
        noNewPrivileges: true,
        user: '1234:4321',
        capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
      },
      volumes: [
        { type: 'bind', source: hostDir, target: '/host', readOnly: true },
        { type: 'volume', source: volume, target: '/data' },
      ],
      network: network.name,
      ports: [{ container: 8080 }],
      healthcheck: {
        command: ['true'],
        intervalMs: 1000,
        timeoutMs: 500,
        retries: 2,
        startPeriodMs: 100,
      },
      workingDir: '/tmp',
    });
    const info = await docker.getContainer(instance.id).inspect();
    const host = info.HostConfig;
    expect(host.NanoCpus).toBe(1_500_000_000);
    expect(host.Memory).toBe(96 * 1024 * 1024);
    expect(host.MemorySwap).toBe(96 * 1024 * 1024);
    expect(host.PidsLimit).toBe(42);
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.SecurityOpt).toContain('no-new-privileges:true');
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd).toEqual(['NET_BIND_SERVICE']);
    expect(host.NetworkMode).toBe(network.name);
    expect(host.LogConfig?.Type).toBe('local');
    expect(host.Init).toBe(true);
    expect(host.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    expect(host.Mounts).toEqual([
      expect.objectContaining({ Type: 'bind', Source: hostDir, Target: '/host', ReadOnly: true }),
      expect.objectContaining({ Type: 'volume', Source: volume, Target: '/data' }),
    ]);
    expect(info.Config.User).toBe('1234:4321');
    expect(info.Config.Env).toContain('GREETING=hi');
    expect(info.Config.WorkingDir).toBe('/tmp');
    expect(info.Config.Healthcheck).toEqual({
      Test: ['CMD', 'true'],
      Interval: 1_000_000_000,
      Timeout: 500_000_000,
      Retries: 2,
      StartPeriod: 100_000_000,
    });
    expect(info.Config.Labels).toMatchObject({
      app: 'mapping',
      team: 'berth-tests',
      'berth.managed': 'true',
      'berth.session': session,
      'berth.tenant': 'tenant-x',
      'berth.driver': 'docker',
      'berth.driver-version': driver.version,
    });
    // The named volume was made by the driver, so it belongs to the session and cleanup finds it.
    const made = await docker.getVolume(volume).inspect();
    expect(made.Labels).toMatchObject({ 'berth.session': session, 'berth.managed': 'true' });

    await driver.startContainer(instance.id);
    const mounts = await driver.exec(instance.id, [
      'sh',
      '-c',
      'cat /host/hello.txt; touch /host/x',
    ]);
    expect(mounts.stdout).toBe('from the host\n');
    expect(mounts.exitCode).not.toBe(0);
    expect(mounts.stderr).toMatch(/Read-only file system/);
    // PID 1 is the engine's init, which forwards SIGTERM and reaps orphans, not the program.
    expect((await driver.exec(instance.id, ['cat', '/proc/1/cmdline'])).stdout).toMatch(
      /^\/sbin\/docker-init\0/,
    );
  });

  it('attaches no network at all unless one is named', async () => {
    const instance = await driver.createContainer(shell(session, 'true'));
    const info = await docker.getContainer(instance.id).inspect();
    expect(info.HostConfig.NetworkMode).toBe('none');
  });

  it('refuses a disk limit this storage driver cannot enforce, under strict enforcement', async () => {
    const caps = await driver.capabilities();
    const info = await docker.info();
    // overlay2 enforces a size only on xfs with project quotas; this host is on ext4 in CI.
    expect(caps.disk).toBe(
      info.Driver === 'overlay2' && /xfs/.test(JSON.stringify(info.DriverStatus)),
    );
    if (caps.disk) return;
    const before = (await docker.listContainers({ all: true })).length;
    const error = await driver
      .createContainer(shell(session, 'true', { resources: { disk: 100 } }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect(error.features).toEqual([
      expect.objectContaining({ feature: 'disk', path: 'resources.disk' }),
    ]);
    expect(error.message).toMatch(/best-effort/);
    expect((await docker.listContainers({ all: true })).length).toBe(before);
  });

  it('records and warns about the disk limit it could not enforce, under best-effort', async () => {
    const lenient = new DockerDriver({ enforcement: 'best-effort' });
    if ((await lenient.capabilities()).disk) return;
    const events = new BerthEvents();
    const warnings: string[] = [];
    events.on('driver:warning', (event) => warnings.push(event.message));
    const wrapped = wrapDriver(lenient, withEvents(events));
    const instance = await wrapped.createContainer(
      shell(session, 'true', { resources: { disk: 100 } }),
    );
    expect(instance.unenforced).toEqual([expect.objectContaining({ feature: 'disk' })]);
    expect(warnings).toEqual([expect.stringContaining('disk')]);
    const info = await docker.getContainer(instance.id).inspect();
    expect(info.HostConfig.StorageOpt ?? {}).toEqual({});
    // A later instance still knows what was not enforced: it is on the container's labels.
    expect((await new DockerDriver().getContainer(instance.id))?.unenforced).toEqual(
      instance.unenforced,
    );
  });
});
