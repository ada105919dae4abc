import { describe, expect, it } from 'vitest';
import { ConfigurationError, isObjectId, requireObjectId } from '../src/index.js';

describe('object ids', () => {
  it('accepts engine ids and names, and nothing that could change a request path', () => {
    for (const id of ['a', 'abc123', 'a'.repeat(64), 'my-app_1.web', 'A.b-c_d']) {
      expect(isObjectId(id)).toBe(true);
    }
    for (const id of [
      '',
      '.',
      '..',
      '../x',
      'a/b',
      '//h:1/x',
      '-a',
      '_a',
      'a b',
      'a?b',
      'a#b',
      'a%2F',
      'a\0',
      'a'.repeat(129),
      42,
      null,
      undefined,
      {},
      ['a'],
    ]) {
      expect(isObjectId(id)).toBe(false);
    }
  });

  it('refuses a bad id for a change with a ConfigurationError that says what an id looks like', () => {
    expect(requireObjectId('web-1', 'container')).toBe('web-1');
    const error = (() => {
      try {
        requireObjectId('../../etc', 'volume');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toContain('is not a volume id or name');
    expect((error as ConfigurationError).retryable).toBe(false);
  });
});
