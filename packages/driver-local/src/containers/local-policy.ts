import { isAbsolute } from 'node:path';
import {
  ConfigurationError,
  type ContainerConfig,
  UnsupportedFeatureError,
  type ValidationIssue,
} from '@berth/core';
import type { HostFingerprint } from '../host/host-fingerprint.js';
import { refuseIdentityCapabilities } from '../isolation/user-spec.js';

/*
 * What the local driver refuses beyond the contract's own validation, for reasons of its own:
 * how it runs programs, and that it runs as host users with no user namespace in between.
 */

/** coreutils env, the chain's last step, would take a program name with '=' for a variable. */
export function refuseProgramName(program: string, path: (string | number)[]): void {
  if (!program.includes('=')) return;
  throw new ConfigurationError(
    `program '${program}' contains '=': the local driver cannot run a program by such a name. Rename it or run it through a path without '='.`,
    [{ path, message: "program name contains '='", stage: 'security' }],
  );
}

/**
 * A driver running as root that cannot switch users would run every container as host root:
 * never, whatever the enforcement mode.
 */
export function refuseRootDriverWithoutUsers(host: HostFingerprint): void {
  if (!host.isRoot || host.setpriv.user) return;
  throw new UnsupportedFeatureError(
    [
      {
        feature: 'user',
        path: 'security.user',
        reason: `the driver runs as root and cannot switch users (${host.setpriv.reason ?? 'setpriv unavailable'}): the container would run as host root`,
      },
    ],
    'Install util-linux setpriv (and keep the setpriv isolation on), or run the driver as an unprivileged user.',
  );
}

/**
 * Everything the local driver would refuse about a config, found before anything is made and
 * reported all at once. The host is asked for last: the config alone settles most of it.
 */
export async function checkContainer(
  config: ContainerConfig,
  host: () => Promise<HostFingerprint>,
): Promise<ValidationIssue[]> {
  const issues: ValidationIssue[] = [];
  const collect = (check: () => void) => {
    try {
      check();
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      issues.push(...error.issues);
    }
  };
  const command = [...(config.entrypoint ?? []), ...(config.command ?? [])];
  if (command.length === 0) {
    issues.push({
      path: ['command'],
      message:
        'required by the local driver: it runs host programs and has no image to take a default command from',
      stage: 'schema',
    });
  } else {
    collect(() =>
      refuseProgramName(command[0] as string, [config.entrypoint ? 'entrypoint' : 'command', 0]),
    );
  }
  collect(() => refuseIdentityCapabilities(config.security.capabilities.add));
  if (config.workingDir !== undefined && !isAbsolute(config.workingDir)) {
    issues.push({ path: ['workingDir'], message: 'must be an absolute path', stage: 'schema' });
  }
  const found = await host();
  collect(() => refuseRootDriverWithoutUsers(found));
  return issues;
}
