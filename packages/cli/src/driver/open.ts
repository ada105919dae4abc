import type { ContainerDriver } from '@berth/core';
import type { GlobalOptions } from '../args/spec.js';
import { DriverUnavailableError } from '../errors/cli-errors.js';
import { quoted } from '../output/sanitize.js';
import { CLI_DIR, findPackage } from './packages.js';

export interface DriverChoice {
  name: string;
  /** How it was chosen, for `doctor` and `--debug`. */
  source: 'flag' | 'env' | 'detected';
}

/**
 * Which driver to use: `--driver`, else BERTH_DRIVER, else the best one installed that can
 * run here (docker when an engine answers, else local), as core's detectDriver decides.
 */
export async function chooseDriver(
  globals: GlobalOptions,
  env: Record<string, string | undefined>,
): Promise<DriverChoice> {
  if (globals.driver !== undefined) return { name: globals.driver, source: 'flag' };
  const fromEnv = env.BERTH_DRIVER?.trim();
  if (fromEnv) return { name: fromEnv, source: 'env' };
  const { detectDriver } = await import('@berth/core');
  try {
    return { name: await detectDriver({ resolveFrom: CLI_DIR }), source: 'detected' };
  } catch (error) {
    // Its message lists why each driver cannot run and what to install.
    throw new DriverUnavailableError((error as Error).message, { cause: error });
  }
}

/**
 * The options the CLI makes a driver with. For the local driver: no warm sandboxes and no
 * idle supervisors, since a command line process lives for one command; sandboxes built
 * ahead would be torn down again at exit, unused, on every invocation.
 */
export function driverOptions(
  name: string,
  globals: GlobalOptions,
  env: Record<string, string | undefined>,
): Record<string, unknown> {
  const stateDir = globals.stateDir ?? (env.BERTH_STATE_DIR || undefined);
  const common = {
    ...(stateDir === undefined ? {} : { stateDir }),
    ...(globals.enforcement === undefined ? {} : { enforcement: globals.enforcement }),
  };
  if (name === 'local') return { ...common, warmSandboxes: 0, idleSupervisors: 0 };
  return common;
}

/** Makes the chosen driver, loading only its package (core's createDriver imports it now). */
export async function openDriver(
  choice: DriverChoice,
  globals: GlobalOptions,
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<ContainerDriver> {
  const { BUILTIN_DRIVERS, ConfigurationError, createDriver } = await import('@berth/core');
  const builtin = Object.hasOwn(BUILTIN_DRIVERS, choice.name)
    ? BUILTIN_DRIVERS[choice.name as keyof typeof BUILTIN_DRIVERS]
    : undefined;
  let resolveFrom = cwd;
  if (builtin !== undefined) {
    const installed = findPackage(builtin, cwd);
    if (!installed) {
      throw new DriverUnavailableError(
        `driver ${quoted(choice.name)} needs the package ${builtin}, which is not installed: npm install ${builtin} (next to @berth/cli, or in this project)`,
      );
    }
    resolveFrom = installed.from;
  }
  try {
    return await createDriver(choice.name, driverOptions(choice.name, globals, env), {
      resolveFrom,
      env,
    });
  } catch (error) {
    if (ConfigurationError.isInstance(error) && choice.source === 'env') {
      // The name came from the environment: say so, or the user hunts for a flag never given.
      throw new ConfigurationError(
        `BERTH_DRIVER=${quoted(choice.name)}: ${error.message}`,
        error.issues,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
