import { isDriverError } from '@berth/core';
import fc from 'fast-check';
import { expect } from 'vitest';
import { callText, errorText } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';
import type { SuiteContext } from '../support.js';

/*
 * Property-based: whatever a caller passes, every call ends in a result or a typed DriverError
 * (never a TypeError, never a crash), and a refused create leaves nothing. Bounded so a real
 * engine gets a few dozen calls, not thousands.
 */

const RUNS = 40;
/**
 * A fixed seed keeps a CI run reproducible; BERTH_FUZZ_SEED (any number, or `random`) explores
 * other cases, and a failure prints the seed and path to replay it.
 */
const SEED = process.env.BERTH_FUZZ_SEED;
const RUN = {
  numRuns: RUNS,
  ...(SEED === 'random' ? {} : { seed: SEED === undefined ? 20_261_201 : Number(SEED) }),
};

/** Values of every kind a caller might pass, hostile objects included. */
function junk(): fc.Arbitrary<unknown> {
  const hostile = fc.constantFrom<unknown>(
    Object.defineProperty({}, 'x', {
      get() {
        throw new Error('getter');
      },
      enumerable: true,
    }),
    new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    ),
    new Date(0),
    new Map(),
    () => 'fn',
    Symbol('s'),
    10n,
    Number.NaN,
    '\0',
    '../../etc',
    'a'.repeat(300),
  );
  return fc.oneof(fc.anything({ maxDepth: 2 }), hostile);
}

/** The result of `run`, or undefined after checking that what it threw is a DriverError. */
async function typedOutcome(call: string, run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (error) {
    expect(
      isDriverError(error),
      `any input ends in a result or a typed DriverError: ${call} threw ${errorText(error)}`,
    ).toBe(true);
    return undefined;
  }
}

async function containersOf(ctx: SuiteContext): Promise<string[]> {
  return (await ctx.driver.listContainers({ label: ctx.runLabel })).map((c) => c.id).sort();
}

export const inputsGroup: GroupDefinition = {
  name: 'inputs',
  define(test) {
    test('a create with any field of any value is a result or a typed error, and a refusal leaves nothing', async (ctx) => {
      const keys = [
        'command',
        'env',
        'labels',
        'resources',
        'volumes',
        'network',
        'security',
        'name',
        'workingDir',
        'ports',
        'healthcheck',
        'sessionId',
        'image',
      ];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...keys), junk(), async (key, value) => {
          const before = await containersOf(ctx);
          const config = { ...ctx.config({ command: ctx.longRunning() }), [key]: value };
          const call = callText('createContainer', config);
          const made = await typedOutcome(call, () => ctx.driver.createContainer(config as never));
          if (made) {
            await ctx.driver.removeContainer((made as { id: string }).id, { force: true });
          } else {
            expect(await containersOf(ctx), `a refused create leaves nothing: ${call}`).toEqual(
              before,
            );
          }
        }),
        RUN,
      );
    });

    test('every call taking an id or options answers any value with a result or a typed error', async (ctx) => {
      const driver = ctx.driver;
      // Each call with how a failure names it, for the value it was given.
      const calls: [(v: unknown) => string, (v: unknown) => Promise<unknown>][] = [
        [(v) => callText('getContainer', v), (v) => driver.getContainer(v as never)],
        [(v) => callText('startContainer', v), (v) => driver.startContainer(v as never)],
        [(v) => callText('stopContainer', v), (v) => driver.stopContainer(v as never)],
        [
          (v) => callText('removeContainer', v, { force: true }),
          (v) => driver.removeContainer(v as never, { force: true }),
        ],
        [(v) => callText('getContainerLogs', v), (v) => driver.getContainerLogs(v as never)],
        [(v) => callText('waitContainer', v), (v) => driver.waitContainer(v as never)],
        [(v) => callText('exec', v, ['true']), (v) => driver.exec(v as never, ['true'])],
        [(v) => callText('getContainerStats', v), (v) => driver.getContainerStats(v as never)],
        [(v) => callText('isContainerHealthy', v), (v) => driver.isContainerHealthy(v as never)],
        [(v) => callText('listContainers', v), (v) => driver.listContainers(v as never)],
        [(v) => callText('createVolume', v), (v) => driver.createVolume(v as never)],
        [(v) => callText('removeVolume', v), (v) => driver.removeVolume(v as never)],
        [(v) => callText('createNetwork', v), (v) => driver.createNetwork(v as never)],
        [(v) => callText('removeNetwork', v), (v) => driver.removeNetwork(v as never)],
      ];
      const before = await containersOf(ctx);
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: calls.length - 1 }),
          junk(),
          async (i, value) => {
            const [name, call] = calls[i] as (typeof calls)[number];
            const result = await typedOutcome(name(value), () => call(value));
            // A volume or network an odd-but-valid config made is removed again.
            const made = result as { id?: string; name?: string } | undefined;
            if (made?.id && i === 10) await driver.removeVolume(made.id).catch(() => undefined);
            if (made?.id && i === 12) await driver.removeNetwork(made.id).catch(() => undefined);
          },
        ),
        RUN,
      );
      expect(await containersOf(ctx), 'calls given any id or options make no container').toEqual(
        before,
      );
    });

    test('an exec command or options of any value is a typed error, never a run of something else', async (ctx) => {
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      try {
        await ctx.driver.startContainer(id);
        await fc.assert(
          fc.asyncProperty(junk(), junk(), async (command, options) => {
            await typedOutcome(callText('exec', id, command, options), () =>
              ctx.driver.exec(id, command as never, options as never),
            );
          }),
          RUN,
        );
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });
  },
};
