import { randomBytes } from 'node:crypto';
import type { ContainerConfig, Placement, PlacementConstraint } from '@berth/core';
import type { ServiceSpec } from '../cluster/swarm-types.js';

const MB = 1024 * 1024;
const NS_PER_MS = 1_000_000;

/** Docker's own default; `stopContainer`'s timeout is applied on the node (see lifecycle.ts). */
export const STOP_GRACE_NS = 10_000 * NS_PER_MS;
const RESTART_DELAY_NS = 1000 * NS_PER_MS;

export interface SpecOptions {
  labels: Record<string, string>;
  /** The network to join: the config's (resolved and checked) or the container's own. */
  networkId?: string | undefined;
  /** Constraints the driver adds: the node a volume lives on. */
  pinTo?: string | undefined;
  /** Send Pids and capabilities only to an engine that knows them (API 1.41+). */
  pidsAndCaps: boolean;
}

/** The label keeping a container's placement (constraints, spread) for each start's choice. */
export const PLACEMENT_LABEL = 'berth.swarm-placement';

/** What PLACEMENT_LABEL holds: the config's constraints (and a volume's node), and spread. */
export interface StoredPlacement {
  constraints: PlacementConstraint[];
  spread: string[];
}

/** A constraint in Swarm's syntax. */
export function swarmConstraint(c: PlacementConstraint): string {
  return `${c.key}${c.operator}${c.value}`;
}

/** The placement a service was made with, or undefined (none, or a label that is not ours). */
export function storedPlacement(
  labels: Readonly<Record<string, string>> | undefined,
): StoredPlacement | undefined {
  const raw = labels?.[PLACEMENT_LABEL];
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as StoredPlacement;
    return Array.isArray(parsed.constraints) && Array.isArray(parsed.spread) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function basePlacement(
  placement: Placement | undefined,
  pinTo: string | undefined,
): StoredPlacement {
  const constraints = [...(placement?.constraints ?? [])];
  if (pinTo !== undefined) constraints.push({ key: 'node.id', operator: '==', value: pinTo });
  return { constraints, spread: [...(placement?.spread ?? [])] };
}

/**
 * ContainerConfig → a service of one task that is not running yet (0 replicas; start asks for
 * one). Pure, so the mapping is testable without a swarm.
 */
export function toServiceSpec(config: ContainerConfig, options: SpecOptions): ServiceSpec {
  const { resources, security } = config;
  const containerSpec: Record<string, unknown> = {
    Image: config.image,
    Labels: options.labels,
    Env: Object.entries(config.env).map(([key, value]) => `${key}=${value}`),
    User: security.user,
    ReadOnly: security.readOnly,
    // tini as PID 1: a shell as PID 1 ignores SIGTERM, and nothing else would reap zombies.
    Init: true,
    StopGracePeriod: STOP_GRACE_NS,
    TTY: false,
    OpenStdin: false,
    Mounts: config.volumes.map((mount) => ({
      Type: 'volume',
      Source: mount.source,
      Target: mount.target,
      ReadOnly: mount.readOnly,
    })),
  };
  if (options.pidsAndCaps) {
    containerSpec.CapabilityDrop = security.capabilities.drop;
    containerSpec.CapabilityAdd = security.capabilities.add;
  }
  // Swarm's Command is the image's entrypoint, its Args the command.
  if (config.entrypoint !== undefined) containerSpec.Command = config.entrypoint;
  if (config.command !== undefined) containerSpec.Args = config.command;
  if (config.workingDir !== undefined) containerSpec.Dir = config.workingDir;
  if (config.healthcheck) {
    const check = config.healthcheck;
    containerSpec.Healthcheck = {
      Test: ['CMD', ...check.command],
      Interval: check.intervalMs * NS_PER_MS,
      Timeout: check.timeoutMs * NS_PER_MS,
      Retries: check.retries,
      StartPeriod: check.startPeriodMs * NS_PER_MS,
    };
  }
  const limits: Record<string, number> = {
    NanoCPUs: Math.round(resources.cpu * 1e9),
    MemoryBytes: Math.round(resources.memory * MB),
  };
  if (options.pidsAndCaps) limits.Pids = resources.pids;

  const restart = config.restart;
  const placed = basePlacement(config.placement, options.pinTo);
  const labels = { ...options.labels };
  if (placed.constraints.length > 0 || placed.spread.length > 0) {
    labels[PLACEMENT_LABEL] = JSON.stringify(placed);
  }
  const spec: ServiceSpec = {
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: containerSpec,
      Resources: { Limits: limits },
      RestartPolicy: restart
        ? {
            Condition: restart.condition === 'always' ? 'any' : 'on-failure',
            // A second, not Swarm's 5 s: a restart should come about as soon as on one engine.
            Delay: RESTART_DELAY_NS,
            ...(restart.maxAttempts === undefined ? {} : { MaxAttempts: restart.maxAttempts }),
          }
        : { Condition: 'none' },
      // Spread is the driver's, decided at each start (see cluster/spread.ts).
      Placement: { Constraints: placed.constraints.map(swarmConstraint) },
      // Always one: the config's, or the container's own (OWN_NETWORK_LABEL), never the node's
      // default bridge.
      Networks:
        options.networkId === undefined
          ? []
          : [{ Target: options.networkId, ...(config.name ? { Aliases: [config.name] } : {}) }],
      // Bytes as written: json-file would turn invalid UTF-8 into U+FFFD.
      LogDriver: { Name: 'local' },
    },
    Mode: { Replicated: { Replicas: 0 } },
    // The VIP needs the engines' iptables rules; DNS round robin answers with the task's own
    // address, and a one-task service has just the one.
    EndpointSpec: { Mode: 'dnsrr' },
  };
  // The swarm's own generated names collide under many creates at once; ours cannot.
  spec.Name = config.name ?? `berth-${randomBytes(8).toString('hex')}`;
  return spec;
}
