import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every test spawns the built `berth` and waits for real containers.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
