import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * A consumer's failing conformance test has its stack in dist/, mapped back to src/: what the
 * maps point at must be in the package, or a click on the failure lands nowhere. Run after the
 * build (turbo's test task depends on it).
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  files: string[];
};

const published = (path: string) =>
  manifest.files.some((entry) => path === entry || path.startsWith(`${entry}/`));

const built = (suffix: string) =>
  existsSync(dist) ? readdirSync(dist).filter((f) => f.endsWith(suffix)) : [];

describe('the published package holds what its stack traces point at', () => {
  const maps = built('.js.map');

  it('every built file has a source map, and the map is published', () => {
    const scripts = built('.js');
    expect(scripts.length, 'dist/ has no .js: build first').toBeGreaterThan(0);
    for (const script of scripts) {
      expect(readFileSync(join(dist, script), 'utf8'), `${script} names its map`).toMatch(
        /\/\/# sourceMappingURL=\S+\.js\.map\s*$/,
      );
      expect(maps, `dist/${script} has a map`).toContain(`${script}.map`);
    }
    expect(published('dist/index.js.map'), `files ${JSON.stringify(manifest.files)}`).toBe(true);
  });

  it('every source a map names is a published file, and the map embeds its text too', () => {
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(dist, map), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      for (const [i, source] of sources.entries()) {
        const path = relative(root, resolve(dist, source));
        expect(existsSync(join(root, path)), `${map} names ${source}, which does not exist`).toBe(
          true,
        );
        expect(
          published(path),
          `${map} names ${path}, which package.json files ${JSON.stringify(manifest.files)} leaves out`,
        ).toBe(true);
        expect(sourcesContent?.[i], `${map} embeds the text of ${source}`).toEqual(
          expect.any(String),
        );
      }
    }
  });
});
