import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real-engine tests start containers and wait for listeners.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
