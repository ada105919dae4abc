import { type ConfigurationError, isDriverError } from '@berth/core';
import { expect } from 'vitest';
import { callText, errorText, expectErrorCode, settle, settledText } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';

const MISSING = 'berth-conformance-missing-container';

/** A call to check, named as its failure message shows it. */
type Call = [call: string, run: () => Promise<unknown>];

async function drain(logs: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of logs) {
    // draining
  }
}

export const errorsGroup: GroupDefinition = {
  name: 'errors',
  define(test) {
    test('every operation on an unknown id throws ContainerNotFoundError', async (ctx) => {
      const d = ctx.driver;
      const calls: Call[] = [
        [callText('startContainer', MISSING), () => d.startContainer(MISSING)],
        [callText('stopContainer', MISSING), () => d.stopContainer(MISSING)],
        [callText('restartContainer', MISSING), () => d.restartContainer(MISSING)],
        [callText('removeContainer', MISSING), () => d.removeContainer(MISSING)],
        [callText('getContainerLogs', MISSING), () => d.getContainerLogs(MISSING)],
        [callText('waitContainer', MISSING), () => d.waitContainer(MISSING)],
        [callText('getContainerStats', MISSING), () => d.getContainerStats(MISSING)],
        [callText('isContainerHealthy', MISSING), () => d.isContainerHealthy(MISSING)],
        [`reading ${callText('streamLogs', MISSING)}`, () => drain(d.streamLogs(MISSING))],
      ];
      const rule = 'an operation on an id no container has throws ContainerNotFoundError';
      for (const [call, run] of calls) {
        const settled = await settle(run);
        const error = 'error' in settled ? settled.error : undefined;
        expect(isDriverError(error), `${rule}: ${call} ${settledText(settled)}`).toBe(true);
        expect((error as { code: string }).code, `${rule}: ${call} threw ${errorText(error)}`).toBe(
          'CONTAINER_NOT_FOUND',
        );
        expect(
          (error as { retryable: boolean }).retryable,
          `a not-found error is not retryable: ${call} threw ${errorText(error)}`,
        ).toBe(false);
      }
    });

    test('an invalid config throws ConfigurationError and creates nothing', async (ctx) => {
      const before = await ctx.driver.listContainers({ sessionId: ctx.sessionId });
      const config = ctx.config({
        image: '',
        resources: { cpu: -1, memory: 64, pids: 10 },
        command: ctx.longRunning(),
      });
      const call = callText('createContainer', config);
      const error = await expectErrorCode(
        'CONFIGURATION_ERROR',
        'an invalid config (empty image, negative cpu) is a ConfigurationError',
        call,
        () => ctx.driver.createContainer(config),
      );
      expect(
        isDriverError(error),
        `a ConfigurationError is a DriverError: ${call} threw ${errorText(error)}`,
      ).toBe(true);
      expect(
        (error as ConfigurationError).issues.map((i) => i.path.join('.')),
        `a ConfigurationError lists every problem, each at its path: ${call} threw ${errorText(error)}`,
      ).toEqual(expect.arrayContaining(['image', 'resources.cpu']));
      const after = await ctx.driver.listContainers({ sessionId: ctx.sessionId });
      expect(
        after.map((c) => c.id).sort(),
        `a refused create leaves no container behind: ${call}`,
      ).toEqual(before.map((c) => c.id).sort());
    });

    test('invalid filters, log options and exec options are ConfigurationErrors', async (ctx) => {
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      try {
        await ctx.driver.startContainer(id);
        const { exec } = await ctx.driver.capabilities();
        const filter = { status: 'sleeping' } as never;
        const calls: Call[] = [
          [callText('listContainers', filter), () => ctx.driver.listContainers(filter)],
          [
            callText('getContainerLogs', id, { tail: -1 }),
            () => ctx.driver.getContainerLogs(id, { tail: -1 }),
          ],
          ...(exec
            ? ([
                [
                  callText('exec', id, ['true'], { timeout: -5 }),
                  () => ctx.driver.exec(id, ['true'], { timeout: -5 }),
                ],
              ] as Call[])
            : []),
          [
            `reading ${callText('streamLogs', id, { tail: 1.5 })}`,
            () => drain(ctx.driver.streamLogs(id, { tail: 1.5 })),
          ],
        ];
        for (const [call, run] of calls) {
          await expectErrorCode(
            'CONFIGURATION_ERROR',
            'invalid options are a ConfigurationError',
            call,
            run,
          );
        }
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });

    test('adding a dangerous capability is refused unless the driver was told to allow it', async (ctx) => {
      const before = (await ctx.driver.listContainers({ sessionId: ctx.sessionId })).length;
      for (const add of [['SYS_ADMIN'], ['ALL'], ['NET_RAW']]) {
        const config = ctx.config({
          command: ctx.sh('true'),
          security: { ...ctx.config().security, capabilities: { drop: ['ALL'], add } },
        });
        await expectErrorCode(
          'CONFIGURATION_ERROR',
          'a dangerous capability is refused by default (allowCapabilities lets one through)',
          callText('createContainer', config),
          () => ctx.driver.createContainer(config),
        );
      }
      expect(
        (await ctx.driver.listContainers({ sessionId: ctx.sessionId })).length,
        'a refused create makes nothing',
      ).toBe(before);
    });

    test('unknown keys in a config are rejected, not ignored', async (ctx) => {
      const config = { ...ctx.config({ command: ctx.longRunning() }), privileged: true };
      await expectErrorCode(
        'CONFIGURATION_ERROR',
        'a config key the contract does not have (privileged) is a ConfigurationError, not ignored',
        callText('createContainer', config),
        () => ctx.driver.createContainer(config as never),
      );
    });
  },
};
