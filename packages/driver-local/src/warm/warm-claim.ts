import { renameSync } from 'node:fs';
import type { ContainerConfig } from '@berth/core';
import { limitsOf, planProcess, warmScriptOf } from '../containers/container-plan.js';
import type { HostFingerprint } from '../host/host-fingerprint.js';
import { cgroupProcsFiles } from '../isolation/cgroups.js';
import { PLACEHOLDER_ID } from '../isolation/container-identities.js';
import { buildSandboxCommand, warmStub } from '../isolation/sandbox-command.js';
import type { ContainerRecord } from '../state/container-record.js';
import type { StateLayout } from '../state/state-layout.js';
import type { WarmSandbox, WarmSandboxes } from './warm-sandboxes.js';

/** What a create needs to take over a warm sandbox. */
export interface WarmClaimContext {
  layout: StateLayout;
  warm: WarmSandboxes;
  /** The directory bound as every sandbox's /etc, once known. */
  etcDir: string | undefined;
}

/**
 * A warm sandbox made for exactly this container's chain, its directory moved into place;
 * undefined when none is ready or the container cannot use one (a chosen name, volumes, an
 * environment the stub's shell cannot carry). See warm-sandboxes.ts.
 */
export function claimWarm(
  ctx: WarmClaimContext,
  host: HostFingerprint,
  config: ContainerConfig,
  recordFor: (id: string) => ContainerRecord,
): WarmSandbox | undefined {
  if (!host.warmStart || !ctx.warm.enabled) return undefined;
  if (config.name !== undefined || config.volumes.length > 0) return undefined;
  const sample = recordFor(PLACEHOLDER_ID);
  if (warmScriptOf(sample) === undefined) return undefined;
  const warm = ctx.warm.claim({
    cgroups: host.cgroups,
    limits: limitsOf(host, config),
    owner: (id) => {
      if (!host.setpriv.user) return undefined;
      const { uid, gid } = recordFor(id).user;
      return { uid, gid };
    },
    chain: (id, workDirSource, group) => {
      const { plan, spawnCwd } = planProcess(
        recordFor(id),
        {
          host,
          stateDir: ctx.layout.root,
          workDir: ctx.layout.workDir(id),
          workDirSource,
          ...(ctx.etcDir !== undefined ? { etc: ctx.etcDir } : {}),
        },
        { command: warmStub(host.tools), cgroupProcs: group ? cgroupProcsFiles(group) : [] },
      );
      return { argv: buildSandboxCommand(plan, host.tools), cwd: spawnCwd };
    },
  });
  if (!warm) return undefined;
  try {
    renameSync(warm.dir, ctx.layout.containerDir(warm.id));
    return warm;
  } catch {
    // Its directory is left among this driver's warm ones, deleted when it closes.
    void ctx.warm.release(warm);
    return undefined;
  }
}
