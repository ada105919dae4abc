import { randomBytes } from 'node:crypto';
import type { ContainerDriver, DriverCapabilities } from '@berth/core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { capabilityGroup } from './groups/capabilities.js';
import { cleanupGroup } from './groups/cleanup.js';
import { concurrencyGroup } from './groups/concurrency.js';
import { controlGroup } from './groups/control.js';
import { errorsGroup } from './groups/errors.js';
import { execGroup } from './groups/exec.js';
import { filesGroup } from './groups/files.js';
import { healthGroup } from './groups/health.js';
import { idempotencyGroup } from './groups/idempotency.js';
import { inputsGroup } from './groups/inputs.js';
import { lifecycleGroup } from './groups/lifecycle.js';
import { lifetimesGroup } from './groups/lifetimes.js';
import { logsGroup } from './groups/logs.js';
import { networksGroup } from './groups/networks.js';
import { processesGroup } from './groups/processes.js';
import { queriesGroup } from './groups/queries.js';
import { readinessGroup } from './groups/readiness.js';
import { securityGroup } from './groups/security.js';
import { volumesGroup } from './groups/volumes.js';
import type { ConformanceGroup, ConformanceOptions, DriverFactory } from './options.js';
import { makeContext, removeSession, type SuiteContext } from './support.js';

type Needs = (caps: DriverCapabilities) => string | undefined;

/** Registers one test of a group; the body gets the suite's context. */
export type GroupTest = (
  title: string,
  body: (ctx: SuiteContext, skip: (reason: string) => never) => Promise<void>,
  needs?: Needs,
) => void;

/** A group of tests; `needs` says why it cannot run on a driver lacking a capability. */
export interface GroupDefinition {
  name: ConformanceGroup;
  needs?: Needs;
  define(test: GroupTest): void;
}

const GROUPS: GroupDefinition[] = [
  lifecycleGroup,
  queriesGroup,
  logsGroup,
  execGroup,
  healthGroup,
  controlGroup,
  readinessGroup,
  processesGroup,
  filesGroup,
  lifetimesGroup,
  volumesGroup,
  networksGroup,
  errorsGroup,
  idempotencyGroup,
  concurrencyGroup,
  securityGroup,
  capabilityGroup,
  cleanupGroup,
  inputsGroup,
];

/**
 * Every entry of `skipTests` must name a test of the suite, even one in a group skipped whole: a
 * misspelt title would otherwise skip nothing and say nothing.
 */
function checkSkipTests(name: string, skipTests: Record<string, string>): void {
  const titles = new Set<string>();
  for (const group of GROUPS) group.define((title) => titles.add(title));
  const problems = Object.entries(skipTests).flatMap(([title, reason]) => {
    if (!titles.has(title)) return [`no test is titled ${JSON.stringify(title)}`];
    if (reason.trim() === '') return [`${JSON.stringify(title)} is skipped without a reason`];
    return [];
  });
  if (problems.length > 0) {
    throw new Error(`${name} conformance: invalid skipTests: ${problems.join('; ')}`);
  }
}

/**
 * Registers the whole conformance suite for one driver with vitest. Call it at the top level of
 * a test file: `describeDriverConformance('my-driver', () => new MyDriver(), { image: 'x' })`.
 */
export function describeDriverConformance(
  name: string,
  factory: DriverFactory,
  options: ConformanceOptions,
): void {
  const timeout = options.timeoutMs ?? 30_000;
  checkSkipTests(name, options.skipTests ?? {});
  describe(`${name} conformance`, { timeout }, () => {
    let ctx: SuiteContext | undefined;
    let caps: DriverCapabilities | undefined;
    const get = () => {
      if (!ctx) throw new Error('the driver factory failed; see the first error');
      return ctx;
    };

    beforeAll(async () => {
      const driver: ContainerDriver = await factory();
      ctx = makeContext(driver, options, randomBytes(4).toString('hex'));
      caps = await driver.capabilities();
    }, timeout);

    afterAll(async () => {
      if (!ctx) return;
      await removeSession(ctx);
      await options.teardown?.(ctx.driver);
    }, timeout);

    for (const group of GROUPS) {
      const skipped = options.skip?.[group.name];
      if (skipped) {
        describe(group.name, () => {
          it.skip(`skipped: ${skipped}`, () => {});
        });
        continue;
      }
      describe(group.name, () => {
        group.define((title, body, needs) => {
          const skipped = options.skipTests?.[title];
          if (skipped !== undefined) {
            console.info(`[${name} conformance] ${group.name} › ${title} skipped: ${skipped}`);
            it.skip(`${title} (skipped: ${skipped})`, () => {});
            return;
          }
          it(title, async (t) => {
            const skip = (reason: string): never => {
              // Printed as well as recorded, so a skip is never mistaken for a pass.
              console.info(`[${name} conformance] ${group.name} › ${title} skipped: ${reason}`);
              t.skip(reason);
              throw new Error(`skipped: ${reason}`);
            };
            const missing = caps && (group.needs?.(caps) ?? needs?.(caps));
            if (missing) skip(missing);
            await body(get(), skip);
          });
        });
      });
    }
  });
}
