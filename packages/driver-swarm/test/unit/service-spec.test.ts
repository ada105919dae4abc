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

  it('writes constraints in Swarm syntax, the node of a mounted volume last, and keeps spread for the starts', () => {
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
    });
    // Swarm's own spread preference would spread the tasks of this one service: nothing.
    expect(s.TaskTemplate.Placement).not.toHaveProperty('Preferences');
    expect(JSON.parse(s.Labels?.['berth.swarm-placement'] ?? '')).toEqual({
      constraints: [
        { key: 'node.role', operator: '==', value: 'worker' },
        { key: 'node.labels.zone', operator: '!=', value: 'b' },
        { key: 'node.id', operator: '==', value: 'node7' },
      ],
      spread: ['node.labels.zone', 'node.id'],
    });
    expect(spec().Labels).not.toHaveProperty('berth.swarm-placement');
  });

  it("restarts only when asked, always as Swarm's any", () => {
    expect(spec({ restart: { condition: 'always' } }).TaskTemplate.RestartPolicy).toEqual({
      Condition: 'any',
      Delay: 1e9,
    });
    expect(
      spec({ restart: { condition: 'on-failure', maxAttempts: 2 } }).TaskTemplate.RestartPolicy,
    ).toEqual({ Condition: 'on-failure', Delay: 1e9, MaxAttempts: 2 });
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

describe('SwarmDriver options', () => {
  it.each([
    [{ nodes: 'worker' }, /nodes must be an array/],
    [{ nodes: [null] }, /nodes\[0\] must be an endpoint/],
    [{ manager: 'unix:///x' }, /manager must be an endpoint/],
    [{ startTimeoutMs: 5 }, /startTimeoutMs/],
    [{ allowNetworks: [''] }, /allowNetworks/],
  ])('refuses %o with a ConfigurationError saying what to give', async (options, message) => {
    const { SwarmDriver } = await import('../../src/index.js');
    expect(() => new SwarmDriver(options as never)).toThrow(message);
  });
});

describe('spreadConstraints', () => {
  const zoneNode = (
    id: string,
    zone: string | undefined,
    state: 'ready' | 'down' = 'ready',
  ): SwarmNode => ({
    ID: id,
    Spec: { Role: 'worker', Availability: 'active', Labels: zone ? { zone } : {} },
    Description: { Hostname: id },
    Status: { State: state },
  });
  const liveOn = (nodeId: string): Task => ({
    ...task('running'),
    ID: `t-${nodeId}-${Math.random()}`,
    NodeID: nodeId,
  });
  const nodes = [
    zoneNode('a1', 'a'),
    zoneNode('a2', 'a'),
    zoneNode('b1', 'b'),
    zoneNode('x', undefined),
  ];

  it('constrains to the value with the fewest live tasks, counting starts under way', async () => {
    const { spreadConstraints } = await import('../../src/cluster/spread.js');
    const key = 'node.labels.zone';
    expect(spreadConstraints([key], [], nodes, [])).toEqual([{ key, operator: '==', value: 'a' }]);
    // Zone a has 2 tasks over its 2 nodes, b has 1: b is emptier, whatever its node count.
    const tasks = [liveOn('a1'), liveOn('a2'), liveOn('b1')];
    expect(spreadConstraints([key], [], nodes, tasks)).toEqual([
      { key, operator: '==', value: 'b' },
    ]);
    // Two starts under way chose b: b counts 3 now, whether their tasks are listed or not.
    const starting = { ...liveOn('b1'), ServiceID: 'starting-1' };
    const pending = new Map([
      ['starting-1', [`${key}==b`]],
      ['starting-2', [`${key}==b`]],
    ]);
    expect(spreadConstraints([key], [], nodes, [...tasks, starting], pending)).toEqual([
      { key, operator: '==', value: 'a' },
    ]);
  });

  it('leaves node.id to the scheduler, skips nodes that are down or excluded, and an attribute none has', async () => {
    const { spreadConstraints } = await import('../../src/cluster/spread.js');
    expect(spreadConstraints(['node.id', 'node.hostname'], [], nodes, [])).toEqual([]);
    const some = [zoneNode('a1', 'a', 'down'), zoneNode('b1', 'b')];
    expect(spreadConstraints(['node.labels.zone'], [], some, [])).toEqual([
      { key: 'node.labels.zone', operator: '==', value: 'b' },
    ]);
    expect(
      spreadConstraints(
        ['node.labels.zone'],
        [{ key: 'node.id', operator: '!=', value: 'b1' }],
        some,
        [],
      ),
    ).toEqual([]);
    expect(spreadConstraints(['node.labels.rack'], [], nodes, [])).toEqual([]);
  });
});
