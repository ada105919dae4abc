import type { MockContainer, MockState } from '../engine/mock-state.js';
import { interpretCommand } from '../programs/program.js';

/** One health probe: the declared sequence's next value, else the healthcheck command's exit. */
function probe(container: MockContainer): boolean {
  const { plan, config } = container;
  const sequence = plan.program.health;
  if (sequence && sequence.length > 0) {
    return sequence[Math.min(container.healthProbe++, sequence.length - 1)] as boolean;
  }
  if (!config.healthcheck) return true;
  try {
    const steps = interpretCommand(config.healthcheck.command, config.env, '/');
    const exit = steps.find((s) => s.kind === 'exit');
    return exit?.kind === 'exit' && exit.code === 0;
  } catch {
    return false;
  }
}

/**
 * Probes at once, then every interval while this run lasts; `retries` failures in a row make
 * it unhealthy, as with Docker. (Docker waits one interval before the first probe; the mock
 * does not, so tests need not wait.)
 */
export async function probeHealth(
  state: MockState,
  container: MockContainer,
  run: AbortController,
): Promise<void> {
  const check = container.config.healthcheck;
  const retries = Math.max(1, check?.retries ?? 1);
  while (!run.signal.aborted) {
    if (probe(container)) {
      container.failedProbes = 0;
      container.instance.health = 'healthy';
    } else if (++container.failedProbes >= retries) {
      container.instance.health = 'unhealthy';
    }
    try {
      await state.settings.clock.sleep(check?.intervalMs ?? 30_000, run.signal);
    } catch {
      return;
    }
  }
}

export function isHealthy(state: MockState, id: string): boolean {
  const { instance } = state.container(id);
  return instance.status === 'running' && (instance.health ?? 'healthy') === 'healthy';
}
