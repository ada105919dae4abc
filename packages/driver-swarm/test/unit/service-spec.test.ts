import { parseContainerConfig } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { apiAtLeast } from '../../src/cluster/capabilities.js';
import type { Service, SwarmNode, Task } from '../../src/cluster/swarm-types.js';
import { toInstance } from '../../src/services/instance.js';
import { toServiceSpec } from '../../src/services/service-spec.js';

const config = (extra: Record<string, unknown> = {}) =>
  parseContainerConfig({ sessionId: 's', image: 'img:1', command: ['sh', '-c', 'true'], ...extra });
const spec = (extra: Record<string, unknown> = {}, pidsAndCaps = true) =>
  toServiceSpec(config(extra), {
    labels: { 'berth.managed': 'true' },
    networkId: 'net1',
    pidsAndCaps,
  });

describe('toServiceSpec', () => {
  it('maps the secure defaults onto the task template, with no task until start', () => {
    const s = spec();
    expect(s.Mode).toEqual({ Replicated: { Replicas: 0 } });
    expect(s.EndpointSpec).toEqual({ Mode: 'dnsrr' });
    expect(s.TaskTemplate.RestartPolicy).toEqual({ Condition: 'none' });
    expect(s.TaskTemplate.Resources?.Limits).toEqual({
      NanoCPUs: 500_000_000,
      MemoryBytes: 512 * 1024 * 1024,
      Pids: 100,
    });
    expect(s.TaskTemplate.ContainerSpec).toMatchObject({
      Image: 'img:1',
      Args: ['sh', '-c', 'true'],
      User: '65534:65534',
      ReadOnly: true,
      Init: true,
      CapabilityDrop: ['ALL'],
      CapabilityAdd: [],
    });
    expect(s.TaskTemplate.Networks).toEqual([{ Target: 'net1' }]);
  });

  it('leaves pids and capabilities out for an engine older than API 1.41, which would drop them', () => {
    const s = spec({}, false);
    expect(s.TaskTemplate.Resources?.Limits).not.toHaveProperty('Pids');
    expect(s.TaskTemplate.ContainerSpec).not.toHaveProperty('CapabilityDrop');
  });

  it('writes placement in Swarm syntax, the node of a mounted volume last', () => {
    const s = toServiceSpec(
      config({
        placement: {
          constraints: [
            { key: 'node.role', value: 'worker' },
            { key: 'node.labels.zone', operator: '!=', value: 'b' },
          ],
          spread: ['node.labels.zone', 'node.id'],
        },
      }),
      { labels: {}, networkId: 'n', pinTo: 'node7', pidsAndCaps: true },
    );
    expect(s.TaskTemplate.Placement).toEqual({
      Constraints: ['node.role==worker', 'node.labels.zone!=b', 'node.id==node7'],
      Preferences: [
        { Spread: { SpreadDescriptor: 'node.labels.zone' } },
        { Spread: { SpreadDescriptor: 'node.id' } },
      ],
    });
  });

  it("restarts only when asked, always as Swarm's any", () => {
    expect(spec({ restart: { condition: 'always' } }).TaskTemplate.RestartPolicy).toEqual({
      Condition: 'any',
    });
    expect(
      spec({ restart: { condition: 'on-failure', maxAttempts: 2 } }).TaskTemplate.RestartPolicy,
    ).toEqual({ Condition: 'on-failure', MaxAttempts: 2 });
  });

  it('entrypoint is Command, command is Args; the name is the service name and its alias', () => {
    const s = spec({ entrypoint: ['/bin/x'], name: 'web' });
    expect(s.Name).toBe('web');
    expect(s.TaskTemplate.ContainerSpec).toMatchObject({ Command: ['/bin/x'] });
    expect(s.TaskTemplate.Networks).toEqual([{ Target: 'net1', Aliases: ['web'] }]);
  });
});

const service: Service = {
  ID: 'svc1',
  Version: { Index: 1 },
  CreatedAt: '2026-01-01T00:00:00Z',
  UpdatedAt: '2026-01-01T00:00:00Z',
  Spec: spec(),
};
const node = (state: SwarmNode['Status']['State']): SwarmNode => ({
  ID: 'n1',
  Spec: { Role: 'worker', Availability: 'active' },
  Description: { Hostname: 'w1' },
  Status: { State: state, Addr: '10.0.0.2' },
});
const task = (state: Task['Status']['State'], extra: Partial<Task['Status']> = {}): Task => ({
  ID: 't1',
  ServiceID: 'svc1',
  NodeID: 'n1',
  CreatedAt: '2026-01-01T00:00:01Z',
  UpdatedAt: '2026-01-01T00:00:02Z',
  Version: { Index: 2 },
  DesiredState: 'running',
  Status: { Timestamp: '2026-01-01T00:00:02Z', State: state, ...extra },
});

describe('toInstance', () => {
  it.each([
    ['no task yet', undefined, 'ready', 'created', 'terminated'],
    ['a task being prepared', task('preparing'), 'ready', 'created', 'terminated'],
    [
      'a running task',
      task('running', { ContainerStatus: { ContainerID: 'c' } }),
      'ready',
      'running',
      'running',
    ],
    [
      'a task on a node that went down',
      task('running', { ContainerStatus: { ContainerID: 'c' } }),
      'down',
      'dead',
      'error',
    ],
    [
      'a task that ended',
      task('complete', { ContainerStatus: { ContainerID: 'c', ExitCode: 0 } }),
      'ready',
      'exited',
      'terminated',
    ],
    [
      'a task the node could not start',
      task('rejected', { Err: 'No such image' }),
      'ready',
      'dead',
      'error',
    ],
  ] as const)('%s', (_what, t, nodeState, status, state) => {
    const instance = toInstance({ service, task: t, node: t ? node(nodeState) : undefined });
    expect(instance).toMatchObject({
      id: 'svc1',
      status,
      state,
      driver: 'swarm',
      ports: [],
      endpoint: null,
    });
    if (t) expect(instance.node).toEqual({ id: 'n1', hostname: 'w1', address: '10.0.0.2' });
  });

  it('reports the exit code, and a task killed for failing its health check as unhealthy', () => {
    const ended = toInstance({
      service,
      task: task('failed', {
        Err: 'task: non-zero exit (137): dockerexec: unhealthy container',
        ContainerStatus: { ContainerID: 'c', ExitCode: 137 },
      }),
      node: node('ready'),
    });
    expect(ended).toMatchObject({ status: 'exited', exitCode: 137, health: 'unhealthy' });
  });
});

describe('apiAtLeast', () => {
  it('compares versions as numbers', () => {
    expect(apiAtLeast('1.41', '1.41')).toBe(true);
    expect(apiAtLeast('1.9', '1.41')).toBe(false);
    expect(apiAtLeast('1.100', '1.41')).toBe(true);
    expect(apiAtLeast('2.0', '1.41')).toBe(true);
  });
});
