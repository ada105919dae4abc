import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  ContainerNotFoundError,
  type ContainerSignal,
  UnsupportedFeatureError,
} from '../src/index.js';
import { type DriverPrimitives, defineDriver } from '../src/kit/index.js';
import { primitivesWithout } from './fixtures/minimal-primitives.js';

/** Primitives with signals and pause, recording what reached them. */
function controllable(extra: Partial<DriverPrimitives> = {}) {
  const calls: string[] = [];
  const base = primitivesWithout();
  const p: DriverPrimitives = {
    ...base,
    signalContainer: async (id: string, signal: ContainerSignal) => {
      calls.push(`signal ${id} ${signal}`);
    },
    pauseContainer: async (id: string) => {
      calls.push(`pause ${id}`);
    },
    resumeContainer: async (id: string) => {
      calls.push(`resume ${id}`);
    },
    ...extra,
  };
  return { driver: defineDriver(p), calls };
}

describe('signals and pause through the kit', () => {
  it('reports pause and signals from the primitives a driver has', async () => {
    expect(await defineDriver(primitivesWithout()).capabilities()).toMatchObject({
      pause: false,
      signals: false,
    });
    expect(await controllable().driver.capabilities()).toMatchObject({
      pause: true,
      signals: true,
    });
    // A driver with the primitives may still say its host cannot (a cgroup without a freezer).
    const { driver } = controllable({
      capabilities: async () => ({
        ...(await primitivesWithout().capabilities({ signal: undefined })),
        pause: false,
      }),
    });
    expect(await driver.capabilities()).toMatchObject({ pause: false, signals: true });
    const error = await driver.pauseContainer('c1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect((error as UnsupportedFeatureError).features[0]?.feature).toBe('pause');
  });

  it('refuses without the primitives, naming the capability', async () => {
    const driver = defineDriver(primitivesWithout());
    for (const call of [
      () => driver.signalContainer('c1', 'SIGHUP'),
      () => driver.pauseContainer('c1'),
      () => driver.resumeContainer('c1'),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedFeatureError);
      expect(String((error as Error).message)).toMatch(
        /capabilities\(\)\.(pause|signals) is false/,
      );
    }
  });

  it('checks the id and the signal before any primitive runs', async () => {
    const { driver, calls } = controllable();
    for (const bad of [
      'SIGSTOP',
      'SIGCONT',
      'HUP',
      'sighup',
      1,
      null,
      { toString: () => 'SIGHUP' },
    ]) {
      const error = await driver.signalContainer('c1', bad as never).catch((e: unknown) => e);
      expect(error, String(bad)).toBeInstanceOf(ConfigurationError);
    }
    const stop = await driver.signalContainer('c1', 'SIGSTOP' as never).catch((e: unknown) => e);
    expect((stop as Error).message).toMatch(/pauseContainer and resumeContainer/);
    for (const id of ['', '../x', 'a/b']) {
      await expect(driver.pauseContainer(id)).rejects.toBeInstanceOf(ConfigurationError);
      await expect(driver.signalContainer(id, 'SIGHUP')).rejects.toBeInstanceOf(ConfigurationError);
    }
    expect(calls).toEqual([]);
    await driver.signalContainer('c1', 'SIGUSR1');
    await driver.pauseContainer('c1');
    await driver.resumeContainer('c1');
    expect(calls).toEqual(['signal c1 SIGUSR1', 'pause c1', 'resume c1']);
  });

  it("passes the primitive's not-found on, and an aborted signal stops the call", async () => {
    const { driver } = controllable({
      pauseContainer: async (id: string) => {
        throw new ContainerNotFoundError(id);
      },
    });
    await expect(driver.pauseContainer('gone')).rejects.toBeInstanceOf(ContainerNotFoundError);
    const aborted = AbortSignal.abort();
    await expect(driver.resumeContainer('c1', { signal: aborted })).rejects.toThrow();
  });
});
