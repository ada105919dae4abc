import { MockDockerDriver } from '@berth/driver-mock';
import { describe, expect, it } from 'vitest';
import { describeDriverConformance } from '../src/index.js';

// Each call throws before registering anything, so it may run inside a test.
const register = (skipTests: Record<string, string>) => () =>
  describeDriverConformance('typo', () => new MockDockerDriver(), { image: 'x', skipTests });

describe('skipTests', () => {
  it('a title the suite does not have is an error, so a typo cannot skip nothing silently', () => {
    expect(register({ 'getContainer of an unknown id is nul': 'typo' })).toThrow(
      /invalid skipTests: no test is titled "getContainer of an unknown id is nul"/,
    );
  });

  it('a skip without a reason is an error', () => {
    expect(register({ 'getContainer of an unknown id is null': ' ' })).toThrow(
      /"getContainer of an unknown id is null" is skipped without a reason/,
    );
  });
});
