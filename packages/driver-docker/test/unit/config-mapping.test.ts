import { ConfigurationError, parseContainerConfig } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { capabilitiesFromInfo, storageSupportsSize } from '../../src/engine/capabilities.js';
import { logQuery } from '../../src/logs/query.js';
import {
  networkMode,
  parseLogDriverOptions,
  toCreateOptions,
} from '../../src/mapping/create-options.js';
import { mapState, mapStatus, publishedPorts } from '../../src/mapping/instance.js';
import { toContainerStats } from '../../src/mapping/stats.js';

const base = { sessionId: 's', image: 'img' };
const mapping = { labels: { a: 'b' }, applyDisk: true, logDriver: 'local', init: true };

describe('toCreateOptions', () => {
  it('fills the secure defaults into the engine body', () => {
    const body = toCreateOptions(parseContainerConfig(base), mapping);
    expect(body.HostConfig).toMatchObject({
      NanoCpus: 500_000_000,
      Memory: 512 * 1024 * 1024,
      MemorySwap: 512 * 1024 * 1024,
      PidsLimit: 100,
      ReadonlyRootfs: true,
      SecurityOpt: ['no-new-privileges:true'],
      CapDrop: ['ALL'],
      CapAdd: [],
      NetworkMode: 'none',
      LogConfig: { Type: 'local', Config: {} },
      Init: true,
    });
    expect(body.User).toBe('65534:65534');
    expect(body.Tty).toBe(false);
    expect(body.Labels).toEqual({ a: 'b' });
    expect(body.HostConfig?.StorageOpt).toBeUndefined();
    expect(body.Cmd).toBeUndefined();
  });

  it('maps disk only when the storage driver enforces it', () => {
    const config = parseContainerConfig({ ...base, resources: { disk: 256 } });
    expect(toCreateOptions(config, mapping).HostConfig?.StorageOpt).toEqual({ size: '256M' });
    expect(
      toCreateOptions(config, { ...mapping, applyDisk: false }).HostConfig?.StorageOpt,
    ).toBeUndefined();
  });

  it('publishes ports on loopback by default, from the default bridge when no network is named', () => {
    const config = parseContainerConfig({
      ...base,
      ports: [{ container: 80 }, { container: 53, host: 5353, protocol: 'udp' }],
    });
    const body = toCreateOptions(config, { ...mapping, logDriver: null });
    expect(body.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {} });
    expect(body.HostConfig?.PortBindings).toEqual({
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
    });
    expect(body.HostConfig?.NetworkMode).toBe('bridge');
    expect(body.HostConfig?.LogConfig).toBeUndefined();
    expect(
      networkMode(parseContainerConfig({ ...base, network: 'n', ports: [{ container: 1 }] })),
    ).toBe('n');
  });

  it('converts healthcheck milliseconds to nanoseconds', () => {
    const config = parseContainerConfig({
      ...base,
      healthcheck: {
        command: ['check', 'arg'],
        intervalMs: 250,
        timeoutMs: 100,
        retries: 4,
        startPeriodMs: 10,
      },
    });
    expect(toCreateOptions(config, mapping).Healthcheck).toEqual({
      Test: ['CMD', 'check', 'arg'],
      Interval: 250_000_000,
      Timeout: 100_000_000,
      Retries: 4,
      StartPeriod: 10_000_000,
    });
  });
});

describe('capabilities from /info', () => {
  it('enforces disk only on storage drivers that limit size', () => {
    expect(
      storageSupportsSize({ Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs']] }),
    ).toBe(false);
    expect(
      storageSupportsSize({ Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'xfs']] }),
    ).toBe(true);
    expect(storageSupportsSize({ Driver: 'btrfs' })).toBe(true);
    expect(storageSupportsSize({ Driver: 'vfs' })).toBe(false);
  });

  it('takes cpu, memory and pids from what the kernel offers the engine', () => {
    const caps = capabilitiesFromInfo({ MemoryLimit: true, CpuCfsQuota: false, PidsLimit: true });
    expect(caps).toMatchObject({
      cpu: false,
      memory: true,
      pids: true,
      disk: false,
      networks: 'isolated',
    });
  });

  it('claims pause and signals for Linux containers only', () => {
    expect(capabilitiesFromInfo({ OSType: 'linux' })).toMatchObject({ pause: true, signals: true });
    expect(capabilitiesFromInfo({ OSType: 'windows' })).toMatchObject({
      pause: false,
      signals: false,
    });
  });
});

describe('engine → contract mapping', () => {
  it('maps statuses and states', () => {
    expect(mapStatus('restarting')).toBe('running');
    expect(mapStatus('exited')).toBe('exited');
    expect(mapStatus('weird')).toBe('dead');
    expect(mapState('paused')).toBe('running');
    expect(mapState('created')).toBe('terminated');
    expect(mapState('dead')).toBe('error');
  });

  it('reads bound ports, falling back to fixed requested ones', () => {
    expect(
      publishedPorts({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '49153' }] }, null),
    ).toEqual([{ container: 80, host: 49153, hostIp: '127.0.0.1', protocol: 'tcp' }]);
    expect(publishedPorts({}, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] })).toEqual([]);
  });

  it('builds the logs query', () => {
    expect(logQuery({ tail: 3, since: 1500, stderr: false }, { follow: true })).toEqual({
      stdout: true,
      stderr: false,
      timestamps: false,
      follow: true,
      tail: 3,
      since: '1.500000000',
    });
  });

  it('computes stats like the docker CLI, without page cache', () => {
    const stats = toContainerStats({
      cpu_stats: { cpu_usage: { total_usage: 3_000 }, system_cpu_usage: 20_000, online_cpus: 4 },
      precpu_stats: { cpu_usage: { total_usage: 1_000 }, system_cpu_usage: 10_000 },
      memory_stats: { usage: 10_000, limit: 50_000, stats: { cache: 4_000 } },
      pids_stats: { current: 3 },
    });
    expect(stats).toEqual({
      cpuPercent: 80,
      memoryBytes: 6_000,
      memoryLimitBytes: 50_000,
      pids: 3,
    });
  });
});

describe('logOptions', () => {
  it('become the log driver options of every container', () => {
    const logOptions = parseLogDriverOptions({ 'max-size': '1m', 'max-file': '2' }, 'local');
    const body = toCreateOptions(parseContainerConfig(base), { ...mapping, logOptions });
    expect(body.HostConfig?.LogConfig).toEqual({
      Type: 'local',
      Config: { 'max-size': '1m', 'max-file': '2' },
    });
  });

  it('are refused, naming the option, unless they are names with string values', () => {
    expect(() => parseLogDriverOptions({ 'max-size': 10 }, 'local')).toThrow(/"max-size"/);
    expect(() => parseLogDriverOptions({ 'a b': 'x' }, 'local')).toThrow(ConfigurationError);
    expect(() => parseLogDriverOptions(['x'], 'local')).toThrow(ConfigurationError);
    expect(() => parseLogDriverOptions({ 'max-size': '1m' }, null)).toThrow(/need a logDriver/);
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('boom');
        },
      },
    );
    expect(() => parseLogDriverOptions(hostile, 'local')).toThrow(ConfigurationError);
  });
});
