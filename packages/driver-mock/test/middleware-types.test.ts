import type { ContainerDriver } from '@berth/core';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type FaultInjector,
  type MockCall,
  MockDockerDriver,
  recordCalls,
  withFaults,
  withLatency,
} from '../src/index.js';
import { HandWrittenDriver } from './fixtures/hand-written-driver.js';

// Checked by the compiler (`pnpm typecheck`); at run time these only build the wrappers.
describe('the types the middleware return', () => {
  it('compose over any driver, generic code included', () => {
    const wrapAll = <D extends ContainerDriver>(driver: D) =>
      recordCalls(withFaults(withLatency(driver, { minMs: 0, maxMs: 0 })));
    const wrapped = wrapAll(new HandWrittenDriver());
    expectTypeOf(wrapped).toExtend<ContainerDriver>();
    expectTypeOf(wrapped.faults).toEqualTypeOf<FaultInjector>();
    expectTypeOf(wrapped.calls).toEqualTypeOf<MockCall[]>();
  });

  it("keep the driver's class and its extra members", () => {
    const hand = recordCalls(withFaults(new HandWrittenDriver()));
    expectTypeOf(hand).toExtend<HandWrittenDriver>();
    expectTypeOf(hand.countContainers).toEqualTypeOf<() => number>();
    const mock = recordCalls(withFaults(new MockDockerDriver()));
    expectTypeOf(mock).toExtend<MockDockerDriver>();
    expectTypeOf(mock.rotateLogs).toEqualTypeOf<(id: string, keep?: number) => number>();
    expectTypeOf(withLatency(mock, { minMs: 1, maxMs: 2 })).toEqualTypeOf(mock);
  });

  it('replace a member of the same name but another type', () => {
    class Odd extends HandWrittenDriver {
      faults = 3;
    }
    const odd = withFaults(new Odd());
    expectTypeOf(odd.faults).toEqualTypeOf<FaultInjector>();
    expectTypeOf(odd.countContainers).toEqualTypeOf<() => number>();
    expectTypeOf(odd).not.toExtend<Odd>();
  });
});
