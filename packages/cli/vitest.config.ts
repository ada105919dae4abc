import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every test spawns the built `berth` and waits for real containers.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The work is in the berth processes the tests spawn and in containers; the test workers
    // mostly wait, so more files than cores run at once.
    maxWorkers: 4,
  },
});
