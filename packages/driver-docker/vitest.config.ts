import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Engine-backed tests start real containers; the slowest (10 MB of logs, OOM) take seconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
