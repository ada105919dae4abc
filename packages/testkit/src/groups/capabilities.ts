import {
  type ContainerConfigInput,
  type ContainerDriver,
  type DriverCapabilities,
  isDriverError,
  type UnsupportedFeatureError,
} from '@berth/core';
import { expect } from 'vitest';
import { callText, settle, settledText, shown } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';
import type { SuiteContext } from '../support.js';

const BOOLEAN_KEYS = [
  'cpu',
  'memory',
  'pids',
  'disk',
  'readOnlyRootfs',
  'noNewPrivileges',
  'user',
  'capabilityDrop',
  'volumes',
  'ports',
  'exec',
  'stats',
  'logsFollow',
  'healthchecks',
] as const;

/** A config that asks for something `caps` lacks, and the capability name, if there is one. */
function demandingConfig(
  ctx: SuiteContext,
  caps: DriverCapabilities,
): { feature: string; config: ContainerConfigInput } | undefined {
  const base = ctx.config({ command: ctx.longRunning() });
  const demands: [keyof DriverCapabilities, ContainerConfigInput][] = [
    ['disk', { ...base, resources: { ...base.resources, disk: 100 } }],
    ['readOnlyRootfs', { ...base, security: { ...base.security, readOnly: true } }],
    ['noNewPrivileges', { ...base, security: { ...base.security, noNewPrivileges: true } }],
    ['memory', base],
    ['cpu', base],
    ['pids', base],
    ['user', base],
    ['ports', { ...base, ports: [{ container: 8080 }] }],
  ];
  const found = demands.find(([feature]) => caps[feature] === false);
  return found ? { feature: found[0], config: found[1] } : undefined;
}

async function weakDriver(
  ctx: SuiteContext,
  enforcement: 'strict' | 'best-effort',
): Promise<ContainerDriver | undefined> {
  if (ctx.options.createWeakDriver) return ctx.options.createWeakDriver(enforcement);
  return enforcement === 'strict' ? ctx.driver : undefined;
}

export const capabilityGroup: GroupDefinition = {
  name: 'capabilities',
  define(test) {
    test('capabilities() reports every capability with its type', async (ctx) => {
      const caps = await ctx.driver.capabilities();
      const says = `capabilities() returned ${shown(caps)}`;
      for (const key of BOOLEAN_KEYS) {
        expect(typeof caps[key], `capability ${key} is a boolean: ${says}`).toBe('boolean');
      }
      expect(
        ['isolated', 'logical', false],
        `networks is 'isolated', 'logical' or false: ${says}`,
      ).toContain(caps.networks);
    });

    test('asking for what the host cannot enforce fails closed, creating nothing', async (ctx, skip) => {
      const driver = (await weakDriver(ctx, 'strict')) as ContainerDriver;
      const demand = demandingConfig(ctx, await driver.capabilities());
      if (!demand) {
        return skip(
          'the driver enforces everything on this host and no createWeakDriver was given',
        );
      }
      const before = (await driver.listContainers({ label: ctx.runLabel })).length;
      const call = callText('createContainer', demand.config);
      const rule = `under strict enforcement, a config asking for ${demand.feature}, which the host lacks, is an UnsupportedFeatureError`;
      const settled = await settle(() => driver.createContainer(demand.config));
      const error = 'error' in settled ? settled.error : undefined;
      const got = settledText(settled);
      expect(isDriverError(error), `${rule}: ${call} ${got}`).toBe(true);
      expect((error as UnsupportedFeatureError).code, `${rule}: ${call} ${got}`).toBe(
        'UNSUPPORTED_FEATURE',
      );
      expect(
        (error as UnsupportedFeatureError).features.map((f) => f.feature),
        `the error names the feature: ${call} ${got}`,
      ).toContain(demand.feature);
      expect(
        (error as Error).message,
        `the error's message points to best-effort: ${call} ${got}`,
      ).toMatch(/best-effort/);
      expect(
        await driver.listContainers({ label: ctx.runLabel }),
        `a refused create leaves nothing: ${call}`,
      ).toHaveLength(before);
    });

    test('under best-effort the instance lists what was not enforced', async (ctx, skip) => {
      const driver = await weakDriver(ctx, 'best-effort');
      if (!driver) return skip('needs createWeakDriver to make a best-effort driver');
      const demand = demandingConfig(ctx, await driver.capabilities());
      if (!demand) return skip('the best-effort driver lacks nothing the suite can ask for');
      const instance = await driver.createContainer(demand.config);
      try {
        expect(
          instance.unenforced?.map((f) => f.feature),
          `under best-effort, what the host lacks (${demand.feature}) is listed in unenforced: ${callText('createContainer', demand.config)} returned ${shown(instance)}`,
        ).toContain(demand.feature);
      } finally {
        await driver.removeContainer(instance.id, { force: true });
      }
    });
  },
};
