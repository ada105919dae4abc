import { ConfigurationError } from '../errors/index.js';
import { type ExecValidationOptions, parseExecOptions } from '../exec-validation.js';
import { plainData, withoutSignal } from '../plain-data.js';
import type { ExecOptions } from '../schemas.js';
import type { SpawnOptions } from './process-types.js';

export const DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

export interface ParsedSpawnOptions extends ExecOptions {
  stdin: boolean;
  maxOutputBytes: number;
}

/** Spawn options: exec's, checked as exec checks them, plus stdin and the output budget. */
export function parseSpawnOptions(
  options: SpawnOptions = {},
  validation: ExecValidationOptions = {},
): ParsedSpawnOptions {
  const given = plainData<Record<string, unknown>>(
    withoutSignal(options, 'spawn options'),
    'spawn options',
  );
  const { stdin, maxOutputBytes, ...exec } = given;
  if (stdin !== undefined && typeof stdin !== 'boolean') {
    throw new ConfigurationError(
      `spawn options: stdin must be true or false, got ${String(stdin)}`,
    );
  }
  if (
    maxOutputBytes !== undefined &&
    (typeof maxOutputBytes !== 'number' || !Number.isInteger(maxOutputBytes) || maxOutputBytes < 0)
  ) {
    throw new ConfigurationError(
      `spawn options: maxOutputBytes must be an integer ≥ 0 (bytes per stream), got ${String(maxOutputBytes)}`,
    );
  }
  return {
    ...parseExecOptions(exec, validation),
    stdin: stdin === true,
    maxOutputBytes: (maxOutputBytes as number | undefined) ?? DEFAULT_MAX_OUTPUT_BYTES,
  };
}
