import { UnsupportedFeatureError, type ValidationIssue } from '../errors/index.js';
import type { NetworkConfig, VolumeConfig } from '../schemas.js';
import { fail } from '../validation.js';
import type { DriverPrimitives, PrimitiveContext } from './primitives.js';

/*
 * A volume or network config may name the backend's driver for it and pass that driver options.
 * What a driver cannot honour fails closed, whatever the enforcement mode: a volume silently
 * made by another driver, or options dropped on the floor, is not what was asked for.
 */

export async function checkVolumeChoice(
  config: VolumeConfig,
  primitives: DriverPrimitives,
  ctx: PrimitiveContext,
): Promise<void> {
  const offered = (await primitives.volumeDrivers?.(ctx)) ?? [];
  refuseUnoffered('volume', config.driver, offered, primitives.name);
  const issues = await primitives.checkVolume?.(config, ctx);
  settle('volume', config.options, issues, primitives.name);
}

export async function checkNetworkChoice(
  config: NetworkConfig,
  primitives: DriverPrimitives,
  ctx: PrimitiveContext,
): Promise<void> {
  const offered = (await primitives.networkDrivers?.(ctx)) ?? [];
  refuseUnoffered('network', config.driver, offered, primitives.name);
  const issues = await primitives.checkNetwork?.(config, ctx);
  settle('network', config.options, issues, primitives.name);
}

function refuseUnoffered(
  kind: 'volume' | 'network',
  driver: string | undefined,
  offered: readonly string[],
  name: string,
): void {
  if (driver === undefined || offered.includes(driver)) return;
  throw new UnsupportedFeatureError(
    {
      feature: `${kind}Driver`,
      path: 'driver',
      reason: `'${driver}' is not one of the ${kind} drivers '${name}' offers here: ${
        offered.length > 0 ? offered.join(', ') : 'none (leave driver out)'
      }`,
    },
    `Leave out driver to get the default, or name one of those.`,
  );
}

function settle(
  kind: 'volume' | 'network',
  options: Record<string, string> | undefined,
  issues: ValidationIssue[] | undefined,
  name: string,
): void {
  if (issues === undefined) {
    // No check of the driver's own: it takes no options, and must not ignore them quietly.
    if (options !== undefined && Object.keys(options).length > 0) {
      throw new UnsupportedFeatureError(
        {
          feature: `${kind}Options`,
          path: 'options',
          reason: `'${name}' takes no ${kind} options`,
        },
        'Leave out options.',
      );
    }
    return;
  }
  if (issues.length > 0) fail(`${kind} configuration (driver '${name}')`, issues);
}
