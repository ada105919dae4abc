/*
 * What a packed tarball must hold, and must not: read from the tarball `changeset pack` wrote,
 * the very file `changeset publish --from-pack-dir` would upload. `files` in package.json says
 * what should go in; only the tarball shows what did (a .npmignore, a glob too wide, a build
 * that wrote elsewhere).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SOURCES_PUBLISHED } from './manifests.mjs';

// Test code, fixtures and the repository's own tooling: nothing a user runs.
const NEVER = [
  [/(^|\/)(test|tests|__tests__)\//, 'a test directory'],
  [/\.(test|spec|bench)\.[cm]?[jt]sx?$/, 'a test file'],
  [/(^|\/)fixtures?\//, 'a fixture'],
  [/^bench\//, 'a benchmark'],
  [/(^|\/)(tsconfig[^/]*\.json|tsdown\.config\.ts|vitest\.config\.ts)$/, 'build configuration'],
  [/(^|\/)(node_modules|\.turbo)\//, 'an installed or cached file'],
];

/** The paths in a .tgz, without the leading `package/`. */
export function tarballEntries(tarball) {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((entry) => entry.replace(/^package\//, ''));
}

/** Unpacks a .tgz into `into` (as `into/package/…`). */
export function unpack(tarball, into) {
  execFileSync('tar', ['-xzf', tarball, '-C', into]);
  return join(into, 'package');
}

/** What is wrong with the tarball of `name`, unpacked at `unpacked`; empty when it is right. */
export function tarballProblems({ root, name, version, entries, unpacked }) {
  const problems = [];
  const expect = (ok, problem) => {
    if (!ok) problems.push(`${name}'s tarball: ${problem}`);
  };
  for (const needed of ['package.json', 'README.md', 'LICENSE']) {
    expect(entries.includes(needed), `has no ${needed}`);
  }
  expect(
    entries.some((e) => /^dist\/.+\.js$/.test(e)) &&
      entries.some((e) => /^dist\/.+\.d\.ts$/.test(e)),
    'has no dist/ JavaScript and types: build before packing',
  );
  for (const entry of entries) {
    const never = NEVER.find(([pattern]) => pattern.test(entry));
    expect(!never, `holds ${entry}, ${never?.[1]}`);
    expect(
      !entry.startsWith('src/') || name in SOURCES_PUBLISHED,
      `holds ${entry}: sources are not published (dist/ and its source maps are enough)`,
    );
  }
  if (entries.includes('LICENSE')) {
    expect(
      readFileSync(join(unpacked, 'LICENSE'), 'utf8') ===
        readFileSync(join(root, 'LICENSE'), 'utf8'),
      "LICENSE differs from the repository's",
    );
  }
  const packed = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8'));
  expect(
    packed.name === name && packed.version === version,
    `package.json is ${packed.name}@${packed.version}, not ${name}@${version}`,
  );
  // A workspace: range left in would make the package uninstallable from the registry.
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(packed[field] ?? {})) {
      expect(!String(range).startsWith('workspace:'), `${field}.${dep} is still ${range}`);
    }
  }
  return problems;
}
