import { ConfigurationError, UnsupportedFeatureError } from '../errors/index.js';
import { type ContainerSignal, ContainerSignalSchema } from '../schemas.js';
import type { DriverCapabilities } from '../types.js';
import type { DriverPrimitives, PrimitiveCapabilities } from './primitives.js';

/** The capabilities the kit reports: optional features true only where the driver has them. */
export function fullCapabilities(
  primitives: DriverPrimitives,
  caps: PrimitiveCapabilities,
): DriverCapabilities {
  const canPause = Boolean(primitives.pauseContainer && primitives.resumeContainer);
  return {
    ...caps,
    pause: canPause && caps.pause !== false,
    signals: Boolean(primitives.signalContainer) && caps.signals !== false,
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
export function requireFeature(
  caps: DriverCapabilities,
  feature: 'pause' | 'signals',
  driver: string,
): void {
  if (caps[feature]) return;
  throw new UnsupportedFeatureError(
    { feature, path: feature === 'pause' ? 'pauseContainer' : 'signalContainer' },
    `The '${driver}' driver cannot ${feature === 'pause' ? 'pause containers' : 'signal containers'} on this host (capabilities().${feature} is false).`,
  );
}
