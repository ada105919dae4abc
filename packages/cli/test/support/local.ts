import { afterAll, beforeAll } from 'vitest';
import { berth, type Result, type RunOptions, tempDir } from './berth.js';
import type { SuiteOptions } from './driver-suite.js';

/**
 * A local-driver state directory of the test file's own, with everything made on it removed
 * after the file (and the directory with it).
 */
export function useLocalState(): {
  local(args: string[], options?: RunOptions): Promise<Result>;
  path(): string;
  session: string;
} {
  let state: Awaited<ReturnType<typeof tempDir>>;
  const local = (args: string[], options: RunOptions = {}) =>
    berth(['--driver', 'local', ...args], {
      ...options,
      env: { BERTH_STATE_DIR: state.path, ...options.env },
    });
  beforeAll(async () => {
    state = await tempDir();
  });
  afterAll(async () => {
    await local(['cleanup', '--all', '--yes']);
    await state.remove();
  });
  return {
    local,
    path: () => state.path,
    session: `cli-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  };
}

/** The local driver as the driver suite runs it: host programs, the image only recorded. */
export const LOCAL = {
  driver: 'local',
  image: 'host',
  // Ports cannot be published by the local driver: strict enforcement refuses the create.
  failingRun: { args: ['-p', '8080:80', 'host', '--', 'true'], error: 'UnsupportedFeatureError' },
} as const satisfies SuiteOptions;
