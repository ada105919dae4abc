import type { PrimitiveCapabilities, PrimitiveContext } from '@berth/core/kit';
import { raceAbort } from './abort.js';
import { capabilitiesFromInfo, type EngineInfo } from './capabilities.js';
import { isolationOf } from './network-isolation.js';
import type { EngineSession } from './session.js';

/** What the engine can enforce, read from /info and the isolation probe once per driver. */
export class CapabilitiesProbe {
  readonly #session: EngineSession;
  #capabilities: Promise<PrimitiveCapabilities> | undefined;
  /** Volume drivers the engine reported in /info (read with the capabilities). */
  #volumeDrivers: string[] = ['local'];
  /** What the internal-network probe found (see network-isolation.ts). */
  #isolation: { isolated: boolean; reason?: string } | undefined;

  constructor(session: EngineSession) {
    this.#session = session;
  }

  async capabilities(options: PrimitiveContext): Promise<PrimitiveCapabilities> {
    // Probed once per instance and shared; a failed probe is not kept, so it is retried.
    this.#capabilities ??= this.#session
      .call<EngineInfo>({ method: 'GET', path: '/info' }, { kind: 'engine' })
      .then(
        async (info) => {
          const caps = capabilitiesFromInfo(info);
          this.#volumeDrivers = [...(info.Plugins?.Volume ?? ['local'])];
          // Isolation is claimed only where an internal network was seen to keep the host off.
          this.#isolation = await isolationOf(this.#session, info);
          // Spawned processes are killed on the engine's host: an engine that names another
          // host cannot have them killed (one on this host is checked per container).
          const processes = caps.signals && (await this.#session.onThisHost());
          return {
            ...caps,
            networks: this.#isolation.isolated ? 'isolated' : 'logical',
            processes,
            processAttach: processes,
          } as const;
        },
        (error: unknown) => {
          this.#capabilities = undefined;
          throw error;
        },
      );
    const caps = await raceAbort(this.#capabilities, options.signal);
    return { ...caps };
  }

  async volumeDrivers(ctx: PrimitiveContext): Promise<string[]> {
    await this.capabilities(ctx);
    return [...this.#volumeDrivers];
  }

  unenforcedReason(feature: string): string | undefined {
    if (feature === 'networks') {
      return `internal networks would not keep the host off them here: ${this.#isolation?.reason ?? 'not verified'}`;
    }
    if (feature === 'volumeSize')
      return "the engine's local volume driver cannot limit a volume's size";
    return undefined;
  }
}
