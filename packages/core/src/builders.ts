import type {
  ContainerConfig,
  ContainerConfigInput,
  ResourceLimits,
  ResourceLimitsInput,
  SecurityOptions,
  SecurityOptionsInput,
} from './schemas.js';
import {
  parseContainerConfig,
  parseResourceLimits,
  parseSecurityOptions,
  type ValidationOptions,
} from './validation.js';

/*
 * Builders are the friendly front door: they fill the secure defaults and validate, so a
 * builder never returns something a driver would reject as malformed. Each call returns
 * fresh objects (parsing copies), so mutating one result never changes another.
 */

export function createResourceLimits(overrides: ResourceLimitsInput = {}): ResourceLimits {
  return parseResourceLimits(overrides);
}

export function createSecurityOptions(
  overrides: SecurityOptionsInput = {},
  options: ValidationOptions = {},
): SecurityOptions {
  return parseSecurityOptions(overrides, options);
}

export function createDriverConfig(
  config: ContainerConfigInput,
  options: ValidationOptions = {},
): ContainerConfig {
  return parseContainerConfig(config, options);
}
