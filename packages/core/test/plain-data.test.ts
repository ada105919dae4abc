import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  parseContainerConfig,
  parseExecCommand,
  parseExecOptions,
  parseInput,
  parseLogOptions,
  VolumeConfigSchema,
} from '../src/index.js';

const valid = { sessionId: 's', image: 'busybox', command: ['true'] };

function refusedAt(run: () => unknown): (string | number)[][] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).issues.map((i) => i.path);
  }
  throw new Error('expected a ConfigurationError, it was accepted');
}

class Options {
  sessionId = 's';
  image = 'busybox';
}

describe('hostile objects', () => {
  it('are ConfigurationErrors at their path, never what they throw', () => {
    const throwing = Object.defineProperty({ ...valid }, 'env', {
      get() {
        throw new TypeError('boom');
      },
      enumerable: true,
    });
    expect(refusedAt(() => parseContainerConfig(throwing))).toContainEqual(['env']);
    const trapped = new Proxy(
      { ...valid },
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    expect(refusedAt(() => parseContainerConfig(trapped))).toContainEqual([]);
    expect(refusedAt(() => parseContainerConfig(new Options()))).toContainEqual([]);
    expect(
      refusedAt(() => parseContainerConfig({ ...valid, env: { A: () => 'x' } })),
    ).toContainEqual(['env', 'A']);
    const cyclic: Record<string, unknown> = { ...valid };
    cyclic.labels = cyclic;
    expect(refusedAt(() => parseContainerConfig(cyclic))).toContainEqual(['labels']);
  });

  it('in every other input: volume and network configs, exec and log options, exec commands', () => {
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    refusedAt(() => parseInput(VolumeConfigSchema, trap, 'volume configuration'));
    refusedAt(() => parseExecOptions(trap as never));
    refusedAt(() => parseLogOptions(trap as never));
    refusedAt(() =>
      parseExecCommand(
        new Proxy(['ls'], {
          get(target, key) {
            if (key === '0') throw new Error('index trap');
            return Reflect.get(target, key);
          },
        }),
      ),
    );
    // Nothing huge is copied out: a sparse array of a billion entries is refused at once.
    expect(
      refusedAt(() => parseContainerConfig({ ...valid, command: new Array(1_000_000_000) })),
    ).toContainEqual(['command']);
    // An AbortSignal is no data, but options may carry one.
    expect(parseExecOptions({ signal: new AbortController().signal, env: { A: '1' } })).toEqual({
      env: { A: '1' },
    });
  });
});
