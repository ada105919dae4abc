import { ConfigurationError, UnsupportedFeatureError } from '../errors/index.js';
import { createProcessHandle, type ProcessSource } from '../process/process-handle.js';
import type { ContainerProcess } from '../process/process-types.js';
import { DEFAULT_MAX_OUTPUT_BYTES, type ParsedSpawnOptions } from '../process/spawn-options.js';
import { type ContainerSignal, ContainerSignalSchema } from '../schemas.js';
import type { DriverCapabilities } from '../types.js';
import type { DriverPrimitives, OptionalFeature, PrimitiveCapabilities } from './primitives.js';

/** The capabilities the kit reports: optional features true only where the driver has them. */
export function fullCapabilities(
  primitives: DriverPrimitives,
  caps: PrimitiveCapabilities,
): DriverCapabilities {
  const has = (feature: OptionalFeature, present: unknown) =>
    Boolean(present) && caps[feature] !== false;
  return {
    ...caps,
    pause: has('pause', primitives.pauseContainer && primitives.resumeContainer),
    signals: has('signals', primitives.signalContainer),
    processes: has('processes', primitives.spawn),
    processAttach: has(
      'processAttach',
      primitives.spawn && primitives.listProcesses && primitives.attach,
    ),
    files: has('files', primitives.upload && primitives.download && primitives.removeFile),
    lifetimes: has('lifetimes', primitives.lifetimes),
  };
}

/** A signal name from the caller, checked against the ones a container may be sent. */
export function parseSignal(signal: unknown): ContainerSignal {
  const parsed = ContainerSignalSchema.safeParse(signal);
  if (parsed.success) return parsed.data;
  const hint =
    signal === 'SIGSTOP' || signal === 'SIGCONT'
      ? ' To freeze and thaw a container use pauseContainer and resumeContainer.'
      : '';
  throw new ConfigurationError(
    `signalContainer: signal must be one of ${ContainerSignalSchema.options.join(', ')}, got ${JSON.stringify(signal) ?? String(signal)}.${hint}`,
  );
}

/** Throws what a call of a feature the driver lacks here must throw. */
const FEATURES: Record<OptionalFeature, { call: string; does: string }> = {
  pause: { call: 'pauseContainer', does: 'pause containers' },
  signals: { call: 'signalContainer', does: 'signal containers' },
  processes: { call: 'spawn', does: 'stream processes' },
  processAttach: { call: 'attach', does: 'find spawned processes again' },
  files: { call: 'writeFile', does: 'read and write files in containers' },
  lifetimes: { call: 'extendTtl', does: 'enforce container lifetimes' },
};

export function requireFeature(
  caps: DriverCapabilities,
  feature: OptionalFeature,
  driver: string,
): void {
  if (caps[feature]) return;
  const { call, does } = FEATURES[feature];
  throw new UnsupportedFeatureError(
    { feature, path: call },
    `The '${driver}' driver cannot ${does} on this host (capabilities().${feature} is false).`,
  );
}

/** The handle around a primitive's process; a primitive that gave none broke the contract. */
export function processHandle(
  source: ProcessSource | undefined,
  options: ParsedSpawnOptions | undefined,
  signal: AbortSignal | undefined,
): ContainerProcess {
  if (!source) throw new TypeError('spawn or attach primitive returned nothing');
  return createProcessHandle(source, {
    maxOutputBytes: options?.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    ...(options?.timeout === undefined ? {} : { timeoutMs: options.timeout }),
    ...(signal instanceof AbortSignal ? { signal } : {}),
  });
}
