import { randomUUID } from 'node:crypto';
import { chownSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import {
  ConfigurationError,
  ConflictError,
  type ContainerConfig,
  type ContainerInstance,
  NetworkNotFoundError,
} from '@berth/core';
import { berthLabels, type CreateContext } from '@berth/core/kit';
import { DRIVER_NAME } from '../driver-name.js';
import type { EngineContext } from '../engine/engine-context.js';
import { resolveMounts } from '../isolation/mounts.js';
import { boundHostDirs } from '../isolation/sandbox-view.js';
import type { ResolvedUser } from '../isolation/user-spec.js';
import { PACKAGE_VERSION } from '../package-version.js';
import type { ContainerRecord } from '../state/container-record.js';
import { commitDraftSync, writeJsonAtomicSync } from '../state/json-files.js';
import { SPARE_CONTENTS } from '../state/spare-dirs.js';
import { claimWarm } from '../warm/warm-claim.js';
import { containerEnvironment } from './container-plan.js';
import { toInstance } from './container-snapshot.js';

/**
 * Makes a container: checks what it names (its network, its name, its user, its mounts), then
 * writes its directory and container.json, in a warm sandbox's directory where one fits.
 * Nothing half-made stays when it fails.
 */
export async function createContainer(
  ctx: EngineContext,
  config: ContainerConfig,
  create: CreateContext,
): Promise<ContainerInstance> {
  const command = [...(config.entrypoint ?? []), ...(config.command ?? [])];
  const { host, allowedRoots } = await ctx.init();
  const unenforced = [...create.unenforced];
  let netns: string | undefined;
  if (config.network !== undefined) {
    const network = await ctx.networks.find(config.network);
    if (!network) throw new NetworkNotFoundError(config.network);
    netns = await ctx.networks.namespaceOf(network.id);
    if (network.internal && netns === undefined) {
      // Made under best-effort on a host without network namespaces: say so on the instance.
      unenforced.push({
        feature: 'networks',
        path: 'network',
        reason: `internal network '${network.name}' is not isolated on this host`,
      });
    }
  }
  // A generated name embeds the fresh id, so only a chosen one can collide.
  if (
    config.name !== undefined &&
    (await ctx.catalog.records()).some((r) => r.name === config.name)
  ) {
    throw new ConflictError(`A container named '${config.name}' already exists`);
  }
  const chosen = await ctx.identities.choose(host, config);
  if (config.workingDir !== undefined && !isAbsolute(config.workingDir)) {
    throw new ConfigurationError(`workingDir '${config.workingDir}' must be an absolute path`, [
      { path: ['workingDir'], message: 'must be absolute', stage: 'schema' },
    ]);
  }
  // Volumes named but not there yet are made once everything is checked, never before.
  const newVolumes = new Set<string>();
  const { mounts, overlays } = host.bubblewrap.works
    ? await resolveMounts(config.volumes, {
        allowedRoots,
        boundDirs: boundHostDirs(host.tools.view),
        privateDirs: ctx.privateDirs(),
        volumeDir: async (volume) => {
          await ctx.volumes.checkMountable(volume, config);
          if (!(await ctx.volumes.get(volume))) newVolumes.add(volume);
          return ctx.layout.volumeData(volume);
        },
      })
    : { mounts: [], overlays: [] };

  const labels: Record<string, string> = { ...create.labels };
  const createdAt = new Date().toISOString();
  const recordFor = (id: string, user: ResolvedUser, groups: number[] = []): ContainerRecord => {
    const workDir = ctx.layout.workDir(id);
    const name = config.name ?? `berth-${id.slice(0, 12)}`;
    return {
      id,
      name,
      sessionId: config.sessionId,
      ...(config.tenantId ? { tenantId: config.tenantId } : {}),
      image: config.image,
      createdAt,
      labels,
      config,
      run: 0,
      command,
      cwd: config.workingDir ?? workDir,
      env: containerEnvironment(config.env, { name, home: workDir }, ctx.options.inheritEnv ?? []),
      user,
      ...(groups.length > 0 ? { groups } : {}),
      ...(chosen.own ? { ownIdentity: true } : {}),
      ...(netns !== undefined ? { netns } : {}),
      mounts,
      overlays,
      unenforced,
    };
  };
  const userFor = (id: string) => (chosen.own ? ctx.identities.forWarm(id) : chosen.user);
  const warm = claimWarm(ctx, host, config, (id) => recordFor(id, userFor(id)));
  // 122 random bits from the pooled generator, as 32 hex digits.
  const id = warm?.id ?? randomUUID().replaceAll('-', '');
  let user = chosen.user;
  const undo: (() => void)[] = [];
  try {
    if (config.name !== undefined) {
      const name = config.name;
      ctx.identities.claimName(name, id);
      undo.push(() => ctx.identities.releaseName(name, id));
    }
    if (chosen.own) {
      // A warm sandbox was made with an identity of its own, which its container takes over.
      user = ctx.identities.take(id);
      const taken = user;
      undo.push(() => ctx.identities.release(taken.uid, id));
    }
    for (const volume of newVolumes) {
      await ctx.volumes.create({
        name: volume,
        sessionId: config.sessionId,
        ...(config.tenantId ? { tenantId: config.tenantId } : {}),
        labels: berthLabels(
          {},
          {},
          {
            driver: DRIVER_NAME,
            driverVersion: PACKAGE_VERSION,
            sessionId: config.sessionId,
            tenantId: config.tenantId,
            token: create.token,
          },
        ),
      });
    }
    // The groups of the volumes it mounts, which it joins to share them with its session
    // (one per mount, in the order of config.volumes and of mounts; none for a bind).
    const mountGroups = await Promise.all(
      config.volumes.map((v) => (v.type === 'volume' ? ctx.volumes.groupOf(v.source) : undefined)),
    );
    const groups = [...new Set(mountGroups.filter((g): g is number => g !== undefined))];
    const record = recordFor(id, user, groups);
    const workDir = ctx.layout.workDir(id);
    // Synchronous: a handful of metadata operations on local files, each far cheaper than a
    // trip through the thread pool, and a lifecycle is made of little else.
    const fromSpare = warm !== undefined || ctx.spares.takeInto(ctx.layout.containerDir(id));
    if (!fromSpare) {
      mkdirSync(ctx.layout.containerDir(id), { recursive: true, mode: 0o711 });
      mkdirSync(workDir, { mode: 0o700 });
    }
    if (host.setpriv.user && !warm) {
      chownSync(workDir, user.uid, user.gid);
      // A volume made before volumes had groups of their own: an empty one still goes to its
      // first user, as it used to.
      mounts.forEach((mount, index) => {
        if (mount.readOnly || config.volumes[index]?.type !== 'volume') return;
        if (mountGroups[index] !== undefined) return;
        if (readdirSync(mount.source).length === 0) chownSync(mount.source, user.uid, user.gid);
      });
    }
    if (fromSpare) {
      const draft = join(ctx.layout.containerDir(id), SPARE_CONTENTS.recordDraft);
      commitDraftSync(draft, ctx.layout.containerFile(id), record);
    } else {
      writeJsonAtomicSync(ctx.layout.containerFile(id), record);
    }
    if (warm) ctx.claimed.set(id, warm);
    return toInstance({ record, status: 'created', supervised: false }, DRIVER_NAME);
  } catch (error) {
    // Nothing half-made stays: its directory, name and identity go with the failed create.
    if (warm) void ctx.warm.release(warm);
    try {
      rmSync(ctx.layout.containerDir(id), { recursive: true, force: true });
    } catch {
      // Deleted by the next driver's trash sweep at worst.
    }
    for (const step of undo.reverse()) step();
    throw error;
  }
}
