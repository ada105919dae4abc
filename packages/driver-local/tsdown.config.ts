import { defineConfig } from 'tsdown';

export default defineConfig({
  // The supervisor is its own entry: it runs as a separate process, not as part of the API.
  entry: ['src/index.ts', 'src/supervisor.ts'],
  format: 'esm',
  platform: 'node',
  target: 'node22',
  dts: true,
  sourcemap: true,
  clean: true,
  fixedExtension: false,
});
