import { type ConfigurationError, isDriverError } from '@berth/core';
import { expect } from 'vitest';
import type { GroupDefinition } from '../conformance.js';

const MISSING = 'berth-conformance-missing-container';

export const errorsGroup: GroupDefinition = {
  name: 'errors',
  define(test) {
    test('every operation on an unknown id throws ContainerNotFoundError', async (ctx) => {
      const d = ctx.driver;
      const calls: [string, () => Promise<unknown>][] = [
        ['startContainer', () => d.startContainer(MISSING)],
        ['stopContainer', () => d.stopContainer(MISSING)],
        ['restartContainer', () => d.restartContainer(MISSING)],
        ['removeContainer', () => d.removeContainer(MISSING)],
        ['getContainerLogs', () => d.getContainerLogs(MISSING)],
        ['waitContainer', () => d.waitContainer(MISSING)],
        ['getContainerStats', () => d.getContainerStats(MISSING)],
        ['isContainerHealthy', () => d.isContainerHealthy(MISSING)],
        [
          'streamLogs',
          async () => {
            for await (const _ of d.streamLogs(MISSING)) {
              // draining
            }
          },
        ],
      ];
      for (const [operation, call] of calls) {
        const error = await call().then(
          () => new Error(`${operation} resolved`),
          (e: unknown) => e,
        );
        expect(isDriverError(error), `${operation} threw ${String(error)}`).toBe(true);
        expect((error as { code: string }).code, operation).toBe('CONTAINER_NOT_FOUND');
        expect((error as { retryable: boolean }).retryable, operation).toBe(false);
      }
    });

    test('an invalid config throws ConfigurationError and creates nothing', async (ctx) => {
      const before = await ctx.driver.listContainers({ sessionId: ctx.sessionId });
      const error = await ctx.driver
        .createContainer(
          ctx.config({
            image: '',
            resources: { cpu: -1, memory: 64, pids: 10 },
            command: ctx.longRunning(),
          }),
        )
        .catch((e: unknown) => e);
      expect(isDriverError(error)).toBe(true);
      expect((error as ConfigurationError).code).toBe('CONFIGURATION_ERROR');
      expect((error as ConfigurationError).issues.map((i) => i.path.join('.'))).toEqual(
        expect.arrayContaining(['image', 'resources.cpu']),
      );
      const after = await ctx.driver.listContainers({ sessionId: ctx.sessionId });
      expect(after.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());
    });

    test('invalid filters, log options and exec options are ConfigurationErrors', async (ctx) => {
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      try {
        await ctx.driver.startContainer(id);
        const { exec } = await ctx.driver.capabilities();
        const calls: [string, () => Promise<unknown>][] = [
          ['listContainers', () => ctx.driver.listContainers({ status: 'sleeping' } as never)],
          ['getContainerLogs', () => ctx.driver.getContainerLogs(id, { tail: -1 })],
          ...(exec
            ? [
                ['exec', () => ctx.driver.exec(id, ['true'], { timeout: -5 })] as [
                  string,
                  () => Promise<unknown>,
                ],
              ]
            : []),
          [
            'streamLogs',
            async () => {
              for await (const _ of ctx.driver.streamLogs(id, { tail: 1.5 })) {
                // draining
              }
            },
          ],
        ];
        for (const [operation, call] of calls) {
          const error = await call().then(
            () => new Error(`${operation} accepted invalid input`),
            (e: unknown) => e,
          );
          expect((error as { code?: string }).code, `${operation}: ${String(error)}`).toBe(
            'CONFIGURATION_ERROR',
          );
        }
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });

    test('unknown keys in a config are rejected, not ignored', async (ctx) => {
      const config = { ...ctx.config({ command: ctx.longRunning() }), privileged: true };
      await expect(ctx.driver.createContainer(config as never)).rejects.toMatchObject({
        code: 'CONFIGURATION_ERROR',
      });
    });
  },
};
