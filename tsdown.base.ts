import { defineConfig, type UserConfig } from 'tsdown';

/** The build every package shares: ESM and .d.ts for Node 22+, from src/index.ts. */
export function packageBuild(overrides: UserConfig = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: 'esm',
    platform: 'node',
    target: 'node22',
    dts: true,
    sourcemap: true,
    clean: true,
    fixedExtension: false,
    ...overrides,
  });
}
