import { chmod, chown, mkdir, readdir, rm } from 'node:fs/promises';
import {
  ConfigurationError,
  ConflictError,
  type Volume,
  type VolumeConfig,
  VolumeCreationError,
  VolumeNotFoundError,
} from '@berth/core';
import { readRecord, writeJsonAtomic } from '../state/json-files.js';
import { isMapOf, isNumber, isObject, isOptional, isString } from '../state/json-shapes.js';
import type { StateLayout } from '../state/state-layout.js';

const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

interface VolumeRecord {
  id: string;
  name: string;
  sessionId?: string;
  tenantId?: string;
  labels: Record<string, string>;
  /** The group its data belongs to, which every container mounting it joins. */
  gid?: number;
  createdAt: string;
}

function isVolumeRecord(value: unknown): value is VolumeRecord {
  return (
    isObject(value) &&
    isString(value.id) &&
    isString(value.name) &&
    isOptional(value.sessionId, isString) &&
    isOptional(value.tenantId, isString) &&
    isMapOf(value.labels, isString) &&
    isOptional(value.gid, isNumber) &&
    isString(value.createdAt)
  );
}

/** Groups of their own for volumes, from the range containers' identities come from. */
export interface VolumeGroups {
  take(volume: string): number;
  release(gid: number, volume: string): void;
}

/**
 * Named volumes: one directory each under the state directory; the name is the id. Where
 * containers run as identities of their own, each volume has a group of its own: its data
 * directory is 2770 root:<group>, and every container of its session that mounts it joins the
 * group, so they all read it and make files in it (new files take the group), each changing
 * only its own files.
 */
export class VolumeStore {
  constructor(
    private readonly layout: StateLayout,
    private readonly driverName: string,
    private readonly groups: () => Promise<VolumeGroups | undefined>,
  ) {}

  private toVolume(record: VolumeRecord): Volume {
    return {
      id: record.id,
      name: record.name,
      driver: this.driverName,
      ...(record.sessionId ? { sessionId: record.sessionId } : {}),
      ...(record.tenantId ? { tenantId: record.tenantId } : {}),
      labels: record.labels,
      createdAt: new Date(record.createdAt),
      mountpoint: this.layout.volumeData(record.name),
    };
  }

  /**
   * Creating an existing volume returns it, as Docker does: volumes are claimed by name.
   * `config` is checked already; its labels carry Berth's own, which a parse would refuse.
   */
  async create(config: Omit<VolumeConfig, 'sizeMb'>): Promise<Volume> {
    if (!VOLUME_NAME.test(config.name)) {
      throw new ConfigurationError(
        `Volume name '${config.name}' must match ${VOLUME_NAME.source}`,
        [{ path: ['name'], message: 'not a valid volume name', stage: 'schema' }],
      );
    }
    const existing = await readRecord(this.layout.volumeFile(config.name), isVolumeRecord);
    if (existing) {
      // The same volume asked for again by its own session; anyone else's is a different one.
      if (existing.sessionId === config.sessionId && existing.tenantId === config.tenantId) {
        return this.toVolume(existing);
      }
      throw new ConflictError(`A volume named '${config.name}' already exists`);
    }
    const groups = await this.groups();
    const gid = groups?.take(config.name);
    try {
      const data = this.layout.volumeData(config.name);
      await mkdir(data, { recursive: true, mode: 0o755 });
      if (gid !== undefined) {
        await chown(data, 0, gid);
        // setgid: what a member makes in it belongs to the group too.
        await chmod(data, 0o2770);
      }
      const record: VolumeRecord = {
        id: config.name,
        name: config.name,
        ...(config.sessionId ? { sessionId: config.sessionId } : {}),
        ...(config.tenantId ? { tenantId: config.tenantId } : {}),
        labels: config.labels,
        ...(gid !== undefined ? { gid } : {}),
        createdAt: new Date().toISOString(),
      };
      await writeJsonAtomic(this.layout.volumeFile(config.name), record);
      return this.toVolume(record);
    } catch (error) {
      if (gid !== undefined) groups?.release(gid, config.name);
      throw new VolumeCreationError(config.name, (error as Error).message, { cause: error });
    }
  }

  /**
   * Refuses a named volume of another session (or tenant) as a container's mount: a container
   * mounts only volumes of its own session, or ones that do not exist yet (made for it).
   */
  async checkMountable(
    name: string,
    owner: { sessionId: string; tenantId?: string | undefined },
  ): Promise<void> {
    const existing = await readRecord(this.layout.volumeFile(name), isVolumeRecord);
    if (!existing) return;
    if (existing.sessionId === owner.sessionId && existing.tenantId === owner.tenantId) return;
    throw new ConfigurationError(
      `Volume '${name}' belongs to another session: a container mounts only its own session's volumes. Create the volume with sessionId '${owner.sessionId}', or use another name.`,
      [
        {
          path: ['volumes'],
          message: `volume '${name}' belongs to another session`,
          stage: 'security',
        },
      ],
    );
  }

  /** The group a volume's data belongs to, if it has one of its own. */
  async groupOf(name: string): Promise<number | undefined> {
    return (await readRecord(this.layout.volumeFile(name), isVolumeRecord))?.gid;
  }

  async get(id: string): Promise<Volume | undefined> {
    if (!VOLUME_NAME.test(id)) return undefined;
    const record = await readRecord(this.layout.volumeFile(id), isVolumeRecord);
    return record ? this.toVolume(record) : undefined;
  }

  async list(): Promise<Volume[]> {
    let names: string[];
    try {
      names = await readdir(this.layout.volumes);
    } catch {
      return [];
    }
    const volumes = await Promise.all(names.map((name) => this.get(name)));
    return volumes.filter((v): v is Volume => v !== undefined);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.get(id))) throw new VolumeNotFoundError(id);
    const gid = await this.groupOf(id);
    await rm(this.layout.volumeDir(id), { recursive: true, force: true });
    if (gid !== undefined) (await this.groups())?.release(gid, id);
  }
}
