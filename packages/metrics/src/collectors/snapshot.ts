import type { ContainerDriver, ContainerInstance, ContainerStats } from '@berth/core';
import { mapLimited } from './bounded.js';

export interface ContainerSample {
  name: string;
  sessionId: string;
  stats: ContainerStats;
}

/** What one scrape saw; a part that failed to read is undefined, not a failed scrape. */
export interface Snapshot {
  healthy: boolean;
  uptimeSeconds: number | undefined;
  containers: ContainerInstance[] | undefined;
  volumes: number | undefined;
  networks: number | undefined;
  samples: ContainerSample[];
  /** Running containers left without per-container series by `maxContainers`. */
  omitted: number;
}

export interface SnapshotOptions {
  maxContainers: number;
  staleMs: number;
  concurrency: number;
}

const settled = <T>(promise: Promise<T>): Promise<T | undefined> =>
  promise.then(
    (value) => value,
    () => undefined,
  );

/**
 * Reads the driver for a scrape. Stats are the expensive part (a call per container), so they
 * are bounded three ways: at most `maxContainers` containers, `concurrency` calls at a time, and
 * a per-container cache of `staleMs`. The cache holds only the containers of the last scrape.
 */
export class SnapshotReader {
  readonly #driver: ContainerDriver;
  readonly #options: SnapshotOptions;
  readonly #stats = new Map<string, { at: number; stats: ContainerStats }>();
  #inFlight: Promise<Snapshot> | undefined;

  constructor(driver: ContainerDriver, options: SnapshotOptions) {
    this.#driver = driver;
    this.#options = options;
  }

  /**
   * prom-client calls every gauge's collect() in one go for a scrape; sharing the read in
   * flight makes that one listContainers, not one per gauge.
   */
  read(): Promise<Snapshot> {
    if (!this.#inFlight) {
      this.#inFlight = this.#read().finally(() => {
        this.#inFlight = undefined;
      });
    }
    return this.#inFlight;
  }

  async #read(): Promise<Snapshot> {
    const driver = this.#driver;
    const [health, containers, volumes, networks] = await Promise.all([
      settled(driver.healthCheck()),
      settled(driver.listContainers()),
      settled(driver.listVolumes()),
      settled(driver.listNetworks()),
    ]);
    const running = (containers ?? [])
      .filter((c) => c.status === 'running')
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const chosen = running.slice(0, this.#options.maxContainers);
    const samples = await this.#sample(chosen);
    return {
      healthy: health?.status === 'healthy',
      uptimeSeconds: health?.uptime,
      containers,
      volumes: volumes?.length,
      networks: networks?.length,
      samples,
      omitted: running.length - chosen.length,
    };
  }

  async #sample(chosen: ContainerInstance[]): Promise<ContainerSample[]> {
    const now = Date.now();
    const keep = new Set(chosen.map((c) => c.id));
    for (const id of this.#stats.keys()) if (!keep.has(id)) this.#stats.delete(id);
    const { staleMs, concurrency } = this.#options;
    const read = await mapLimited(chosen, concurrency, async (container) => {
      const cached = this.#stats.get(container.id);
      if (cached && now - cached.at < staleMs) return cached.stats;
      // A container removed since the list has no stats; it is left out of this scrape.
      const stats = await settled(this.#driver.getContainerStats(container.id));
      if (stats) this.#stats.set(container.id, { at: now, stats });
      else this.#stats.delete(container.id);
      return stats;
    });
    const samples: ContainerSample[] = [];
    chosen.forEach((container, i) => {
      const stats = read[i];
      if (stats) samples.push({ name: container.name, sessionId: container.sessionId, stats });
    });
    return samples;
  }
}
