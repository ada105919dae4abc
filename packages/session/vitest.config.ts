import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real-engine sessions start several containers and wait for health checks.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
