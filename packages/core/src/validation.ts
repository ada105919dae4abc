import type { z } from 'zod';
import { ConfigurationError, type ValidationIssue } from './errors/index.js';
import {
  DANGEROUS_CAPABILITIES,
  isLinuxCapability,
  normalizeCapabilityName,
} from './linux-capabilities.js';
import { nulByteIssues, printable, unshadowed } from './nul-bytes.js';
import { plainData, plainDataIssues, withoutSignal } from './plain-data.js';
import {
  type ContainerConfig,
  ContainerConfigSchema,
  LogOptionsSchema,
  NetworkConfigSchema,
  type ResourceLimits,
  ResourceLimitsSchema,
  type SecurityOptions,
  SecurityOptionsSchema,
  VolumeConfigSchema,
} from './schemas.js';
import type { StreamLogsOptions } from './types.js';
import { userSpecProblem } from './user-spec.js';

export interface ValidationOptions {
  /**
   * Dangerous capabilities (SYS_ADMIN, NET_ADMIN, …) the caller accepts in `capabilities.add`.
   * Without an entry here, adding one is a validation error.
   */
  allowCapabilities?: string[];
  /**
   * Accept `security.user` with uid 0 or gid 0 (`'0'`, `'0:0'`, `'root'`, `'1000:0'`, …).
   * Refused by default: uid or gid 0 in a container is root on the host unless a user
   * namespace remaps it.
   */
  allowRoot?: boolean;
}

/** Memory below this cannot start a process under any engine we know (Docker's minimum). */
export const MIN_MEMORY_MB = 6;
export const MAX_CPU_CORES = 1024;

// Keys a user must not set: drivers stamp them, and tenancy and cleanup trust them.
const RESERVED_LABEL_PREFIX = 'berth.';
// No '=' above all: `A=B` as a name would set A, and reach the process as something else.
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

type Path = (string | number)[];

// Inputs whose labels drivers stamp with their own `berth.*` ones; see reservedLabelIssues.
const LABELLED_SCHEMAS = new Set<z.ZodType>([VolumeConfigSchema, NetworkConfigSchema]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function schemaIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
    message: issue.message,
    stage: 'schema' as const,
  }));
}

/** Stage 2: ranges of the resource limits. Reads raw input defensively: stage 1 may have failed. */
function resourceIssues(resources: unknown, base: Path): ValidationIssue[] {
  if (!isRecord(resources)) return [];
  const issues: ValidationIssue[] = [];
  const add = (key: string, message: string) =>
    issues.push({ path: [...base, key], message, stage: 'resources' });
  const { cpu, memory, disk, pids } = resources;
  if (typeof cpu === 'number' && !(cpu > 0 && cpu <= MAX_CPU_CORES)) {
    add('cpu', `cpu must be more than 0 and at most ${MAX_CPU_CORES} cores, got ${cpu}`);
  }
  if (typeof memory === 'number' && !(memory >= MIN_MEMORY_MB)) {
    add('memory', `memory must be at least ${MIN_MEMORY_MB} MB, got ${memory}`);
  }
  if (typeof disk === 'number' && !(disk > 0)) {
    add('disk', `disk must be more than 0 MB (leave it unset for no disk limit), got ${disk}`);
  }
  if (typeof pids === 'number' && !(pids >= 1)) {
    add('pids', `pids must be at least 1, got ${pids}`);
  }
  return issues;
}

/** Stage 3 for the security block alone. */
function securityOptionIssues(
  security: unknown,
  base: Path,
  options: ValidationOptions,
): ValidationIssue[] {
  if (!isRecord(security)) return [];
  const issues: ValidationIssue[] = [];
  const add = (path: Path, message: string) =>
    issues.push({ path: [...base, ...path], message, stage: 'security' });

  if (typeof security.user === 'string') {
    const problem = userSpecProblem(security.user, options);
    if (problem) add(['user'], problem);
  }

  const allowed = new Set((options.allowCapabilities ?? []).map(normalizeCapabilityName));
  const caps = security.capabilities;
  if (isRecord(caps)) {
    for (const list of ['drop', 'add'] as const) {
      const names = caps[list];
      if (!Array.isArray(names)) continue;
      names.forEach((name, index) => {
        if (typeof name !== 'string') return;
        if (!isLinuxCapability(name)) {
          add(['capabilities', list, index], `'${name}' is not a Linux capability`);
          return;
        }
        const normalized = normalizeCapabilityName(name);
        if (list === 'add' && normalized === 'ALL' && !allowed.has('ALL')) {
          add(
            ['capabilities', 'add', index],
            'adding ALL capabilities is never allowed by default',
          );
        } else if (
          list === 'add' &&
          DANGEROUS_CAPABILITIES.includes(normalized as (typeof DANGEROUS_CAPABILITIES)[number]) &&
          !allowed.has(normalized)
        ) {
          add(
            ['capabilities', 'add', index],
            `adding ${normalized} gives the container control over the host; pass it in allowCapabilities to accept that`,
          );
        }
      });
    }
  }
  return issues;
}

/** Environment variable names that are not names, each at `[...base, name]`. */
export function envNameIssues(env: unknown, base: Path): ValidationIssue[] {
  if (!isRecord(env)) return [];
  return Object.keys(env)
    .filter((key) => !ENV_NAME.test(key))
    .map((key) => ({
      path: [...base, key],
      message: `'${key}' is not a valid environment variable name (letters, digits and _, not starting with a digit)`,
      stage: 'security' as const,
    }));
}

/**
 * Label keys a user must not set. Drivers stamp `berth.*` labels themselves and read ownership
 * back from them: a user's `berth.session` or `berth.tenant` would put an object into another
 * session or tenant wherever the driver does not overwrite it.
 */
function reservedLabelIssues(labels: unknown, base: Path): ValidationIssue[] {
  if (!isRecord(labels)) return [];
  return Object.keys(labels)
    .filter((key) => key.startsWith(RESERVED_LABEL_PREFIX))
    .map((key) => ({
      path: [...base, key],
      message: `label keys starting with '${RESERVED_LABEL_PREFIX}' are reserved for the driver, which records ownership there: use another key (sessionId and tenantId set the ownership labels)`,
      stage: 'security' as const,
    }));
}

/** Stage 3 for the whole config: security options, mounts, labels, env, name, ports. */
function configSecurityIssues(config: unknown, options: ValidationOptions): ValidationIssue[] {
  if (!isRecord(config)) return [];
  const issues = securityOptionIssues(config.security, ['security'], options);
  const add = (path: Path, message: string) => issues.push({ path, message, stage: 'security' });

  if (Array.isArray(config.volumes)) {
    config.volumes.forEach((mount, index) => {
      if (!isRecord(mount)) return;
      if (typeof mount.target === 'string' && mount.target !== '') {
        if (!mount.target.startsWith('/')) {
          add(['volumes', index, 'target'], `target '${mount.target}' must be an absolute path`);
        } else if (mount.target.split('/').includes('..')) {
          add(['volumes', index, 'target'], `target '${mount.target}' must not contain '..'`);
        }
      }
      if (mount.type === 'bind' && typeof mount.source === 'string' && mount.source !== '') {
        if (!mount.source.startsWith('/')) {
          add(
            ['volumes', index, 'source'],
            `bind source '${mount.source}' must be an absolute path`,
          );
        } else if (mount.source.split('/').includes('..')) {
          add(['volumes', index, 'source'], `bind source '${mount.source}' must not contain '..'`);
        }
      }
    });
  }
  issues.push(
    ...reservedLabelIssues(config.labels, ['labels']),
    ...envNameIssues(config.env, ['env']),
  );
  if (typeof config.name === 'string' && config.name !== '' && !CONTAINER_NAME.test(config.name)) {
    add(['name'], `name '${config.name}' must match ${CONTAINER_NAME.source}`);
  }
  if (Array.isArray(config.ports)) {
    config.ports.forEach((port, index) => {
      if (!isRecord(port)) return;
      if (typeof port.container === 'number' && !(port.container >= 1 && port.container <= 65535)) {
        add(['ports', index, 'container'], `container port must be 1–65535, got ${port.container}`);
      }
      if (typeof port.host === 'number' && !(port.host >= 0 && port.host <= 65535)) {
        add(['ports', index, 'host'], `host port must be 0–65535, got ${port.host}`);
      }
    });
  }
  if (isRecord(config.healthcheck)) {
    for (const key of ['intervalMs', 'timeoutMs'] as const) {
      const value = config.healthcheck[key];
      if (typeof value === 'number' && !(value > 0)) {
        add(['healthcheck', key], `${key} must be more than 0, got ${value}`);
      }
    }
  }
  return issues;
}

/**
 * Throws a ConfigurationError listing every problem with `what`, one line each (exported as
 * `throwConfigurationIssues` for packages that validate inputs of their own).
 */
export function fail(what: string, issues: ValidationIssue[]): never {
  const list = issues
    .map((issue) => `  - ${printable(issue.path.join('.')) || '(root)'}: ${issue.message}`)
    .join('\n');
  throw new ConfigurationError(
    `Invalid ${what} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${list}`,
    issues,
  );
}

/**
 * Parses any input against one of the contract's schemas (volume, network, filter, log or exec
 * options), throwing a ConfigurationError that lists every problem with its path. Beyond the
 * schema, it refuses NUL bytes anywhere, and reserved labels on volumes and networks.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(plainData(input, what));
  // The parsed copy, when there is one, is what the driver will use: check that very copy.
  const subject: unknown = parsed.success ? parsed.data : input;
  const nul = nulByteIssues(subject);
  const labels = LABELLED_SCHEMAS.has(schema) && isRecord(subject) ? subject.labels : undefined;
  const issues = [
    ...(parsed.success ? [] : schemaIssues(parsed.error)),
    ...nul,
    ...unshadowed(reservedLabelIssues(labels, ['labels']), nul),
  ];
  if (!parsed.success || issues.length > 0) fail(what, issues);
  return parsed.data;
}

/** Validates log options (the signal and `follow` aside) and fills their defaults. */
export function parseLogOptions(
  options: StreamLogsOptions = {},
): z.output<typeof LogOptionsSchema> {
  // The signal is no data: set aside before the rest is read as such.
  const { signal: _signal, follow: _follow, ...query } = withoutSignal(options, 'log options');
  return parseInput(LogOptionsSchema, query, 'log options');
}

/** Issues of every stage, in stage order: schema, then resources, then security. */
export function containerConfigIssues(
  input: unknown,
  options: ValidationOptions = {},
): { config?: ContainerConfig; issues: ValidationIssue[] } {
  // Checked and parsed as a plain-data copy; where the input is not plain data is an issue too.
  const plain = plainDataIssues(input);
  input = plain.value;
  const parsed = ContainerConfigSchema.safeParse(input);
  const raw = isRecord(input) ? input : {};
  // Later stages run on the parsed config when there is one, so defaults are checked too.
  const subject: Record<string, unknown> = parsed.success ? parsed.data : raw;
  const nul = nulByteIssues(parsed.success ? parsed.data : input);
  const issues = [
    ...plain.issues,
    ...(parsed.success ? [] : schemaIssues(parsed.error)),
    ...resourceIssues(subject.resources, ['resources']),
    ...nul,
    ...unshadowed(configSecurityIssues(subject, options), nul),
  ];
  return parsed.success && issues.length === 0 ? { config: parsed.data, issues } : { issues };
}

/** Parses and validates a container config, filling defaults; throws one ConfigurationError listing every problem. */
export function parseContainerConfig(
  input: unknown,
  options: ValidationOptions = {},
): ContainerConfig {
  const { config, issues } = containerConfigIssues(input, options);
  if (!config) fail('container configuration', issues);
  return config;
}

export function parseResourceLimits(input: unknown): ResourceLimits {
  const parsed = ResourceLimitsSchema.safeParse(input);
  const issues = [
    ...(parsed.success ? [] : schemaIssues(parsed.error)),
    ...resourceIssues(parsed.success ? parsed.data : input, []),
  ];
  if (!parsed.success || issues.length > 0) fail('resource limits', issues);
  return parsed.data;
}

export function parseSecurityOptions(
  input: unknown,
  options: ValidationOptions = {},
): SecurityOptions {
  const parsed = SecurityOptionsSchema.safeParse(input);
  const subject: unknown = parsed.success ? parsed.data : input;
  const nul = nulByteIssues(subject);
  const issues = [
    ...(parsed.success ? [] : schemaIssues(parsed.error)),
    ...nul,
    ...unshadowed(securityOptionIssues(subject, [], options), nul),
  ];
  if (!parsed.success || issues.length > 0) fail('security options', issues);
  return parsed.data;
}

export function validateContainerConfig(input: unknown, options: ValidationOptions = {}): boolean {
  return containerConfigIssues(input, options).issues.length === 0;
}

export function validateResourceLimits(input: unknown): boolean {
  try {
    parseResourceLimits(input);
    return true;
  } catch {
    return false;
  }
}

export function validateSecurityOptions(input: unknown, options: ValidationOptions = {}): boolean {
  try {
    parseSecurityOptions(input, options);
    return true;
  } catch {
    return false;
  }
}
