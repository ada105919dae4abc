import { parseExecCommand } from '../exec-validation.js';
import { requireObjectId } from '../object-ids.js';
import type { ContainerProcess, ProcessInfo, SpawnOptions } from '../process/process-types.js';
import { parseSpawnOptions } from '../process/spawn-options.js';
import type { ContainerSignal } from '../schemas.js';
import type { OperationOptions } from '../types.js';
import { parseSignal, processHandle } from './container-control.js';
import { KitCore } from './kit-core.js';
import type { PrimitiveContext } from './primitives.js';

/** The optional features of the contract: signals, pause, processes (and files). */
export abstract class KitFeatures extends KitCore {
  signalContainer(id: string, signal: ContainerSignal, options?: OperationOptions): Promise<void> {
    const parsed = () => parseSignal(signal);
    return this.kitFeature('signalContainer', options, 'signals', id, (t, ctx) =>
      this.primitives.signalContainer?.(t, parsed(), ctx),
    );
  }

  pauseContainer(id: string, options?: OperationOptions): Promise<void> {
    return this.kitFeature('pauseContainer', options, 'pause', id, (t, ctx) =>
      this.primitives.pauseContainer?.(t, ctx),
    );
  }

  resumeContainer(id: string, options?: OperationOptions): Promise<void> {
    return this.kitFeature('resumeContainer', options, 'pause', id, (t, ctx) =>
      this.kitLifetimes.starting(t, async () => this.primitives.resumeContainer?.(t, ctx)),
    );
  }

  spawn(id: string, command: string[], options?: SpawnOptions): Promise<ContainerProcess> {
    return this.kitFeature('spawn', options, 'processes', id, async (t, ctx) => {
      const argv = parseExecCommand(command);
      const parsed = parseSpawnOptions(options, this.kitPolicy);
      const source = await this.primitives.spawn?.(t, argv, parsed, ctx);
      // Idle time counts from the end of the process (the keeper sees it running till then).
      source?.exit.then(
        () => this.kitLifetimes.touch(t),
        () => undefined,
      );
      return processHandle(source, parsed, options?.signal);
    });
  }

  listProcesses(id: string, options?: OperationOptions): Promise<ProcessInfo[]> {
    const run = (t: string, ctx: PrimitiveContext) => this.primitives.listProcesses?.(t, ctx);
    return this.kitFeature('listProcesses', options, 'processAttach', id, run, true);
  }

  attach(id: string, processId: string, options?: OperationOptions): Promise<ContainerProcess> {
    return this.kitFeature('listProcesses', options, 'processAttach', id, async (t, ctx) => {
      const source = await this.primitives.attach?.(t, requireObjectId(processId, 'process'), ctx);
      return processHandle(source, undefined, options?.signal);
    });
  }
}
