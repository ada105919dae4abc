import { z } from 'zod';
import {
  DEFAULT_CPU,
  DEFAULT_MEMORY_MB,
  DEFAULT_PIDS,
  DEFAULT_USER,
  defaultResourceLimits,
  defaultSecurityOptions,
} from './defaults.js';

/*
 * Schemas check shape only (types, required fields, unknown keys). Ranges and security rules
 * are the later validation stages (validation.ts), so one pass can report every problem.
 */

const nonEmpty = z.string().min(1, 'must not be empty');

export const ResourceLimitsSchema = z.strictObject({
  /** CPU cores, fractional allowed (0.5 = half a core). */
  cpu: z.number().default(DEFAULT_CPU),
  /** Memory in MB. */
  memory: z.number().default(DEFAULT_MEMORY_MB),
  /** Disk in MB; unset means no disk limit. */
  disk: z.number().optional(),
  /** Maximum number of processes. */
  pids: z.number().int().default(DEFAULT_PIDS),
});

export const CapabilitiesSchema = z.strictObject({
  drop: z.array(z.string()).default(() => defaultSecurityOptions().capabilities.drop),
  add: z.array(z.string()).default(() => []),
});

export const SecurityOptionsSchema = z.strictObject({
  readOnly: z.boolean().default(true),
  noNewPrivileges: z.boolean().default(true),
  user: z.string().default(DEFAULT_USER),
  capabilities: CapabilitiesSchema.default(() => defaultSecurityOptions().capabilities),
});

export const VolumeMountSchema = z.strictObject({
  /** Host path for `bind`, volume name for `volume`. */
  source: nonEmpty,
  target: nonEmpty,
  readOnly: z.boolean().default(false),
  type: z.enum(['bind', 'volume']).default('volume'),
});

export const PortMappingSchema = z.strictObject({
  container: z.number().int(),
  /** Host port; unset or 0 lets the driver pick a free one. */
  host: z.number().int().optional(),
  /** Defaults to loopback: publishing on every interface must be asked for. */
  hostIp: z.string().default('127.0.0.1'),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
});

export const HealthcheckSchema = z.strictObject({
  command: z.array(nonEmpty).min(1, 'needs at least the program to run'),
  intervalMs: z.number().int().default(30_000),
  timeoutMs: z.number().int().default(5_000),
  retries: z.number().int().default(3),
  startPeriodMs: z.number().int().default(0),
});

/** A year: long enough for any sandbox, short enough that no deadline overflows a timer's range. */
export const MAX_LIFETIME_MS = 365 * 24 * 3600 * 1000;

const lifetimeMs = z
  .number()
  .int()
  .min(1000, 'must be at least 1000 ms')
  .max(MAX_LIFETIME_MS, 'must be at most a year (31 536 000 000 ms)');

/**
 * When the driver side stops (or removes) a container on its own: `ttlMs` after it was made,
 * and `idleTimeoutMs` after the last sign of use while it runs. Enforced by a keeper that does
 * not depend on the creating process staying alive.
 */
export const LifetimeSchema = z
  .strictObject({
    ttlMs: lifetimeMs.optional(),
    idleTimeoutMs: lifetimeMs.optional(),
    onExpiry: z.enum(['stop', 'remove']).default('stop'),
  })
  .refine((l) => l.ttlMs !== undefined || l.idleTimeoutMs !== undefined, {
    message: 'needs ttlMs, idleTimeoutMs or both',
  });

// Node attributes placement may test: Swarm's names, which a driver for another scheduler maps
// onto its own (a Kubernetes driver onto node labels and the node's name).
const PLACEMENT_KEY =
  /^(node\.(id|hostname|role|platform\.os|platform\.arch)|(node|engine)\.labels\.[A-Za-z0-9][A-Za-z0-9._/-]*)$/;
const SPREAD_KEY = /^(node\.(id|hostname)|(node|engine)\.labels\.[A-Za-z0-9][A-Za-z0-9._/-]*)$/;
// Nothing a scheduler's expression syntax could read as an operator, a separator or a second term.
const PLACEMENT_VALUE = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,252}$/;

export const PlacementConstraintSchema = z.strictObject({
  key: z
    .string()
    .regex(
      PLACEMENT_KEY,
      'must be node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<name> or engine.labels.<name>',
    ),
  operator: z.enum(['==', '!=']).default('=='),
  value: z
    .string()
    .regex(
      PLACEMENT_VALUE,
      'must be 1-253 letters, digits and . _ : @ / - (starting with a letter or digit)',
    ),
});

/**
 * Where a scheduling driver may run the container: every constraint must hold for its node, and
 * containers are spread evenly over the values of each `spread` attribute in turn. Drivers of one
 * machine refuse it (strict) or list it as unenforced (best-effort).
 */
export const PlacementSchema = z.strictObject({
  constraints: z.array(PlacementConstraintSchema).default(() => []),
  spread: z
    .array(
      z
        .string()
        .regex(
          SPREAD_KEY,
          'must be node.id, node.hostname, node.labels.<name> or engine.labels.<name>',
        ),
    )
    .default(() => []),
});

/**
 * Restarting the container when its program ends: on a failure only (a non-zero exit) or always,
 * at most `maxAttempts` times when given. Without it a container that ended stays ended.
 */
export const RestartSchema = z.strictObject({
  condition: z.enum(['on-failure', 'always']),
  maxAttempts: z.number().int().positive().optional(),
});

export const ContainerConfigSchema = z.strictObject({
  sessionId: nonEmpty,
  image: nonEmpty,
  command: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).default(() => ({})),
  labels: z.record(z.string(), z.string()).default(() => ({})),
  resources: ResourceLimitsSchema.default(defaultResourceLimits),
  volumes: z.array(VolumeMountSchema).default(() => []),
  /** Name of a network to join; unset means no network at all. */
  network: nonEmpty.optional(),
  security: SecurityOptionsSchema.default(defaultSecurityOptions),
  name: nonEmpty.optional(),
  workingDir: nonEmpty.optional(),
  entrypoint: z.array(z.string()).optional(),
  ports: z.array(PortMappingSchema).default(() => []),
  healthcheck: HealthcheckSchema.optional(),
  tenantId: nonEmpty.optional(),
  lifetime: LifetimeSchema.optional(),
  placement: PlacementSchema.optional(),
  restart: RestartSchema.optional(),
});

export const ContainerStatusSchema = z.enum([
  'created',
  'running',
  'paused',
  'stopped',
  'removing',
  'exited',
  'dead',
]);

/**
 * Signals a caller may send to a container's main process. SIGSTOP and SIGCONT are not among
 * them: pauseContainer freezes a container without its processes being able to tell or undo it.
 */
export const ContainerSignalSchema = z.enum([
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGTERM',
  'SIGKILL',
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
]);

export const ContainerStateSchema = z.enum(['running', 'terminated', 'error']);

export const HealthStatusSchema = z.enum(['none', 'starting', 'healthy', 'unhealthy']);

export const ContainerFilterSchema = z.strictObject({
  sessionId: nonEmpty.optional(),
  tenantId: nonEmpty.optional(),
  status: z.union([ContainerStatusSchema, z.array(ContainerStatusSchema)]).optional(),
  state: z.union([ContainerStateSchema, z.array(ContainerStateSchema)]).optional(),
  /** Every listed label must match; a value of `true` matches any value of that key. */
  label: z.record(z.string(), z.union([z.string(), z.literal(true)])).optional(),
});

export const VolumeConfigSchema = z.strictObject({
  name: nonEmpty,
  sessionId: nonEmpty.optional(),
  tenantId: nonEmpty.optional(),
  labels: z.record(z.string(), z.string()).default(() => ({})),
  /** Size in MB, where the driver can enforce one. */
  sizeMb: z.number().positive().optional(),
  /** The backend's volume driver (Docker: `local` or a plugin); the driver's default if unset. */
  driver: nonEmpty.optional(),
  /** Options for that volume driver, where the driver accepts them. */
  options: z.record(z.string(), z.string()).optional(),
});

export const NetworkConfigSchema = z.strictObject({
  name: nonEmpty,
  sessionId: nonEmpty.optional(),
  tenantId: nonEmpty.optional(),
  labels: z.record(z.string(), z.string()).default(() => ({})),
  /** An internal network has no route out; the secure default. */
  internal: z.boolean().default(true),
  /** The backend's network driver (Docker: `bridge`); the driver's default if unset. */
  driver: nonEmpty.optional(),
  /** Options for that network driver, where the driver accepts them. */
  options: z.record(z.string(), z.string()).optional(),
});

export const LogOptionsSchema = z.strictObject({
  tail: z.number().int().nonnegative().optional(),
  /** Only lines at or after this time (Date or epoch milliseconds). */
  since: z.union([z.date(), z.number()]).optional(),
  timestamps: z.boolean().default(false),
  stdout: z.boolean().default(true),
  stderr: z.boolean().default(true),
});

export const ExecOptionsSchema = z.strictObject({
  env: z.record(z.string(), z.string()).optional(),
  cwd: nonEmpty.optional(),
  user: nonEmpty.optional(),
  timeout: z.number().int().positive().optional(),
});

export type ResourceLimits = z.output<typeof ResourceLimitsSchema>;
export type ResourceLimitsInput = z.input<typeof ResourceLimitsSchema>;
export type SecurityOptions = z.output<typeof SecurityOptionsSchema>;
export type SecurityOptionsInput = z.input<typeof SecurityOptionsSchema>;
export type VolumeMount = z.output<typeof VolumeMountSchema>;
export type VolumeMountInput = z.input<typeof VolumeMountSchema>;
export type PortMapping = z.output<typeof PortMappingSchema>;
export type PortMappingInput = z.input<typeof PortMappingSchema>;
export type Placement = z.output<typeof PlacementSchema>;
export type PlacementInput = z.input<typeof PlacementSchema>;
export type PlacementConstraint = z.output<typeof PlacementConstraintSchema>;
export type RestartPolicy = z.output<typeof RestartSchema>;
export type Healthcheck = z.output<typeof HealthcheckSchema>;
export type HealthcheckInput = z.input<typeof HealthcheckSchema>;
/** A fully parsed configuration, every default filled. */
export type Lifetime = z.output<typeof LifetimeSchema>;
export type LifetimeInput = z.input<typeof LifetimeSchema>;
export type ContainerConfig = z.output<typeof ContainerConfigSchema>;
/** What callers may pass: defaults may be left out. */
export type ContainerConfigInput = z.input<typeof ContainerConfigSchema>;
export type ContainerStatus = z.output<typeof ContainerStatusSchema>;
export type ContainerState = z.output<typeof ContainerStateSchema>;
export type HealthStatus = z.output<typeof HealthStatusSchema>;
export type ContainerSignal = z.output<typeof ContainerSignalSchema>;
export type ContainerFilter = z.input<typeof ContainerFilterSchema>;
export type VolumeConfig = z.output<typeof VolumeConfigSchema>;
export type VolumeConfigInput = z.input<typeof VolumeConfigSchema>;
export type NetworkConfig = z.output<typeof NetworkConfigSchema>;
export type NetworkConfigInput = z.input<typeof NetworkConfigSchema>;
export type LogOptions = z.input<typeof LogOptionsSchema>;
export type ExecOptions = z.input<typeof ExecOptionsSchema>;
