import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every test runs real services on a real swarm: scheduling a task takes a second or more.
    testTimeout: 90_000,
    hookTimeout: 90_000,
    // The suites share two small clusters and one worker whose engine a test stops and starts.
    fileParallelism: false,
  },
});
