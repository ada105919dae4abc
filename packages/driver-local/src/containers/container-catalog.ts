import { readdir } from 'node:fs/promises';
import {
  type ContainerFilter,
  type ContainerInstance,
  ContainerNotFoundError,
  isObjectId,
} from '@berth/core';
import { DRIVER_NAME } from '../driver-name.js';
import { type ContainerRecord, isContainerRecord } from '../state/container-record.js';
import { readRecordSync } from '../state/json-files.js';
import { isContainerId, type StateLayout } from '../state/state-layout.js';
import { type ContainerSnapshot, loadSnapshot, toInstance } from './container-snapshot.js';

/** What finding containers needs of its driver. */
export interface CatalogContext {
  layout: StateLayout;
  /** Resolves once the state directory is there. */
  ready(): Promise<unknown>;
  /** Sees every snapshot found by a lookup or a listing. */
  found(snapshot: ContainerSnapshot): void;
}

/**
 * The containers in the state directory, found by id or by name. Every lookup reads what is on
 * disk now: another driver on the same stateDir may have made or removed one since.
 */
export class ContainerCatalog {
  constructor(private readonly ctx: CatalogContext) {}

  /** Every container's snapshot. */
  async all(): Promise<ContainerSnapshot[]> {
    await this.ctx.ready();
    const snapshots = await Promise.all(
      (await this.ids()).map((id) => loadSnapshot(this.ctx.layout, id)),
    );
    const found = snapshots.filter((s): s is ContainerSnapshot => s !== undefined);
    for (const snapshot of found) this.ctx.found(snapshot);
    return found;
  }

  async records(): Promise<ContainerRecord[]> {
    return (await this.all()).map((s) => s.record);
  }

  /** The containers the filter selects, oldest first. */
  async list(f: ContainerFilter): Promise<ContainerInstance[]> {
    const statuses = f.status === undefined ? undefined : [f.status].flat();
    const states = f.state === undefined ? undefined : [f.state].flat();
    const snapshots = await this.all();
    return snapshots
      .map((s) => toInstance(s, DRIVER_NAME))
      .filter(
        (c) =>
          (f.sessionId === undefined || c.sessionId === f.sessionId) &&
          (f.tenantId === undefined || c.tenantId === f.tenantId) &&
          (statuses === undefined || statuses.includes(c.status)) &&
          (states === undefined || states.includes(c.state)) &&
          Object.entries(f.label ?? {}).every(([key, value]) =>
            value === true ? key in c.labels : c.labels[key] === value,
          ),
      )
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** By id, else by name. */
  async find(idOrName: string): Promise<ContainerSnapshot | undefined> {
    // What cannot be an id or a name is none: nothing is read for it.
    if (!isObjectId(idOrName)) return undefined;
    await this.ctx.ready();
    if (isContainerId(idOrName)) {
      const snapshot = await loadSnapshot(this.ctx.layout, idOrName);
      if (snapshot) {
        this.ctx.found(snapshot);
        return snapshot;
      }
    }
    if (typeof idOrName !== 'string' || idOrName === '') return undefined;
    return (await this.all()).find((s) => s.record.name === idOrName);
  }

  async require(id: string): Promise<ContainerSnapshot> {
    const snapshot = await this.find(id);
    if (!snapshot) throw new ContainerNotFoundError(id);
    return snapshot;
  }

  /** The container id to serialise on: the id itself, found without reading state when it is one. */
  async lockKey(idOrName: string): Promise<string> {
    if (typeof idOrName === 'string' && isContainerId(idOrName)) return idOrName;
    return (await this.require(idOrName)).record.id;
  }

  /**
   * The id of an existing container, from its container.json alone when given an id: logs need
   * no run state. A container with a healthcheck takes the full path, which resumes its checks.
   */
  async existingId(idOrName: string): Promise<string> {
    if (typeof idOrName === 'string' && isContainerId(idOrName)) {
      await this.ctx.ready();
      const record = readRecordSync(this.ctx.layout.containerFile(idOrName), isContainerRecord);
      if (record && !record.config.healthcheck) return record.id;
    }
    return (await this.require(idOrName)).record.id;
  }

  private async ids(): Promise<string[]> {
    try {
      return (await readdir(this.ctx.layout.containers)).filter(isContainerId);
    } catch {
      return [];
    }
  }
}
