import { describe, expect, it } from 'vitest';
import {
  assertSupportedNode,
  MINIMUM_NODE_MAJOR,
  UnsupportedNodeError,
  unsupportedNodeProblem,
} from '../src/node-check.js';

// The real older Node.js is exercised by scripts/release-check.mjs against the packed tarballs;
// here, the decision and the message for any version string.
describe('the Node.js version check', () => {
  it('refuses every major before the minimum, naming the package and the version found', () => {
    for (const version of ['20.20.2', '21.7.3', '18.0.0', '0.12.18']) {
      const problem = unsupportedNodeProblem('@berth/example', version);
      expect(problem, version).toBeInstanceOf(UnsupportedNodeError);
      expect(problem?.name).toBe('UnsupportedNodeError');
      expect(problem?.message).toBe(
        `@berth/example needs Node.js 22 or later (this is Node.js ${version}): upgrade Node.js to use it`,
      );
    }
  });

  it('accepts the minimum and later, and stays quiet where it cannot tell', () => {
    for (const version of ['22.0.0', '22.12.0', '24.22.3', '30.0.0-nightly', undefined, 'bun']) {
      expect(unsupportedNodeProblem('@berth/example', version), String(version)).toBeUndefined();
    }
    expect(MINIMUM_NODE_MAJOR).toBe(22);
  });

  it('carries nothing but its message: printed uncaught, it is one line', () => {
    const problem = unsupportedNodeProblem('@berth/example', '20.1.0') as UnsupportedNodeError;
    expect(Object.keys(problem)).toEqual([]);
    expect(problem.stack).toBe(`UnsupportedNodeError: ${problem.message}`);
    // The stack trace limit is put back for everyone else.
    expect(new Error('other').stack).toMatch(/\n\s+at /);
  });

  it('passes on this Node.js, which the workspace requires to be supported', () => {
    expect(() => assertSupportedNode('@berth/example')).not.toThrow();
  });
});
