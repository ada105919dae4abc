/*
 * What every package under packages/ must say in its package.json, and carry next to it, to be
 * published: checked on the sources, before packing, so a failure names the file to fix. The
 * repository, homepage and bugs of each package derive from the root package.json's, the one
 * place they are written by hand.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Whose tarball may carry src/, and why; every other package publishes dist/ only. */
export const SOURCES_PUBLISHED = {
  '@berth/testkit':
    "its source maps point into src/, so a consumer's conformance failure opens on the suite's TypeScript (packages/testkit/test/published-sources.test.ts)",
};

/** The guard module's build, which bundlers must not drop: see tsdown.base.ts. */
export const GUARD_SIDE_EFFECT = './dist/node-guard*.js';

// One short line in every README, the root's included: what a user needs before installing.
const RUNTIME_LINE = /ESM-only[^\n]*Node\.js ≥ 22 at run time/;

/** `https://github.com/owner/repo` from `git+https://github.com/owner/repo.git`. */
export function repositoryWeb(url) {
  return url.replace(/^git\+/, '').replace(/\.git$/, '');
}

/** What is wrong with packages/<dir>, as sentences naming the fix; empty when it is ready. */
export function manifestProblems({ root, dir, manifest, rootManifest }) {
  const at = `packages/${dir}`;
  const problems = [];
  const expect = (ok, problem) => {
    if (!ok) problems.push(`${at}: ${problem}`);
  };
  const web = repositoryWeb(rootManifest.repository.url);

  expect(
    manifest.private !== true,
    'is private: everything under packages/ is published (private code belongs in examples/)',
  );
  expect(manifest.name?.startsWith('@berth/'), `name ${manifest.name} is not in the @berth scope`);
  expect(manifest.license === 'MIT', `license is ${manifest.license}, not MIT`);
  expect(
    manifest.repository?.type === 'git' &&
      manifest.repository?.url === rootManifest.repository.url &&
      manifest.repository?.directory === at,
    `repository must be { "type": "git", "url": "${rootManifest.repository.url}", "directory": "${at}" }`,
  );
  expect(
    manifest.homepage === `${web}/tree/main/${at}#readme`,
    `homepage must be "${web}/tree/main/${at}#readme" (its README on GitHub)`,
  );
  expect(
    manifest.bugs?.url === rootManifest.bugs.url,
    `bugs must be { "url": "${rootManifest.bugs.url}" }`,
  );
  expect(
    Array.isArray(manifest.keywords) &&
      manifest.keywords.length >= 3 &&
      manifest.keywords.includes('berth') &&
      manifest.keywords.every((k) => typeof k === 'string' && k === k.toLowerCase()),
    'keywords must list at least three lowercase words, "berth" among them',
  );
  expect(
    manifest.publishConfig?.access === 'public',
    'publishConfig.access must be "public" (a scoped package is private on npm otherwise)',
  );
  expect(manifest.type === 'module', 'type must be "module": the packages are ESM-only');
  expect(
    manifest.engines?.node === rootManifest.engines.node,
    `engines.node must be "${rootManifest.engines.node}", as the root's`,
  );
  const files = Array.isArray(manifest.files) ? manifest.files : [];
  for (const needed of ['dist', 'README.md', 'LICENSE']) {
    expect(files.includes(needed), `files must list ${needed}`);
  }
  expect(
    !files.includes('src') || manifest.name in SOURCES_PUBLISHED,
    'files lists src: publish dist/ only (the source maps embed the sources)',
  );
  expect(
    Array.isArray(manifest.sideEffects) && manifest.sideEffects.includes(GUARD_SIDE_EFFECT),
    `sideEffects must list "${GUARD_SIDE_EFFECT}", or a bundler may drop the Node.js version check`,
  );

  const license = join(root, at, 'LICENSE');
  expect(
    existsSync(license) &&
      readFileSync(license, 'utf8') === readFileSync(join(root, 'LICENSE'), 'utf8'),
    'LICENSE is missing or differs from the root LICENSE: copy it (cp LICENSE packages/<name>/)',
  );
  const readme = join(root, at, 'README.md');
  expect(
    existsSync(readme) && RUNTIME_LINE.test(readFileSync(readme, 'utf8')),
    'README.md must say the package is ESM-only and needs Node.js ≥ 22 at run time',
  );
  return problems;
}

/** The root README's own promise of the same. */
export function rootReadmeProblems(root) {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  return RUNTIME_LINE.test(text)
    ? []
    : ['README.md: must say the packages are ESM-only and need Node.js ≥ 22 at run time'];
}
