/*
 * A user on an older Node.js than the packages support: importing any export of any package
 * must stop with the one UnsupportedNodeError line naming that package (each package's
 * src/node-guard.ts, through @berth/core/node-check), never a dependency's own failure. Before
 * the guard, Node 20 imported most packages without a word and failed in execa for
 * @berth/driver-local (`TypeError: TEXT_ENCODINGS.union is not a function` and its stack).
 * The same imports on this Node must succeed: the tarballs carry all they need.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';

// Imports one export; @berth/core/node-check is the check itself (importing it is harmless by
// design, the other guards import it first), so for it the test is calling it.
const IMPORT = `
const m = await import(process.env.BERTH_SPEC);
if (typeof m.assertSupportedNode === 'function') m.assertSupportedNode(process.env.BERTH_NAME);
console.log('imported');
`;

function nodeVersion(path) {
  const run = spawnSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

/**
 * An installed Node.js older than `minimumMajor`: BERTH_OLD_NODE if set, else the first `node` on
 * PATH or in /usr/bin or /usr/local/bin that is older (the machine's own, where the bootstrap put
 * a newer one first on PATH). `{ reason }` when there is none.
 */
export function findOldNode(minimumMajor) {
  const named = process.env.BERTH_OLD_NODE;
  const candidates = named
    ? [named]
    : [
        ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
        '/usr/bin',
        '/usr/local/bin',
      ].map((dir) => join(dir, 'node'));
  const seen = new Set();
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const real = realpathSync(candidate);
    if (seen.has(real)) continue;
    seen.add(real);
    const version = nodeVersion(real);
    if (version && Number.parseInt(version, 10) < minimumMajor) return { path: real, version };
  }
  return {
    reason: named
      ? `BERTH_OLD_NODE=${named} is not a Node.js older than ${minimumMajor}`
      : `no Node.js older than ${minimumMajor} on PATH, in /usr/bin or in /usr/local/bin (set BERTH_OLD_NODE to one)`,
  };
}

function escaped(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every import specifier a package exports that is code (not ./package.json, not JSON data). */
export function exportedSpecifiers(manifest) {
  const exports = manifest.exports ?? { '.': manifest.main };
  return Object.entries(exports)
    .filter(([, target]) => {
      const file = typeof target === 'string' ? target : (target?.import ?? target?.default);
      return typeof file === 'string' && /\.[cm]?js$/.test(file);
    })
    .map(([subpath]) => (subpath === '.' ? manifest.name : `${manifest.name}${subpath.slice(1)}`));
}

/** The bin programs of a package, as paths inside the installed project. */
function binPaths(project, manifest) {
  const bin = typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : manifest.bin;
  return Object.entries(bin ?? {}).map(([command, file]) => ({
    command,
    path: join(project, 'node_modules', manifest.name, file),
  }));
}

/**
 * Checks every export and bin of `manifests` installed in `project`, on `oldNode` and on this
 * Node; returns what went wrong, and the specifiers and programs checked.
 */
export function oldNodeProblems({ project, manifests, oldNode, minimumMajor }) {
  const problems = [];
  const imports = [];
  const programs = [];
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const expectRefusal = (what, name, run) => {
    const message = new RegExp(
      `^\\[?UnsupportedNodeError: ${escaped(name)} needs Node\\.js ${minimumMajor} or later \\(this is Node\\.js ${escaped(oldNode.version)}\\): upgrade Node\\.js`,
    );
    const lines = run.stderr.split('\n');
    const errorLines = lines.filter((line) => /Error\b/.test(line));
    const ok =
      run.status !== 0 &&
      !run.stdout.includes('imported') &&
      errorLines.length === 1 &&
      message.test(errorLines[0]) &&
      !lines.some((line) => /^\s+at /.test(line));
    if (!ok) {
      problems.push(
        `${what} on Node.js ${oldNode.version} should fail with the one UnsupportedNodeError line naming ${name}; it exited ${run.status} and printed:\n${run.stdout}${run.stderr}`,
      );
    }
  };
  for (const manifest of manifests) {
    for (const spec of exportedSpecifiers(manifest)) {
      const runOn = (node) =>
        spawnSync(node, ['--input-type=module', '-e', IMPORT], {
          cwd: project,
          encoding: 'utf8',
          env: { ...env, BERTH_SPEC: spec, BERTH_NAME: manifest.name },
        });
      expectRefusal(`import('${spec}')`, manifest.name, runOn(oldNode.path));
      const current = runOn(process.execPath);
      imports.push(spec);
      if (current.status !== 0 || !current.stdout.includes('imported')) {
        problems.push(
          `import('${spec}') on Node.js ${process.versions.node} failed from the installed tarball:\n${current.stderr}`,
        );
      }
    }
    for (const { command, path } of binPaths(project, manifest)) {
      const run = spawnSync(oldNode.path, [path, '--help'], { encoding: 'utf8', env });
      expectRefusal(`the ${command} program`, manifest.name, run);
      programs.push(command);
    }
  }
  return { problems, imports, programs };
}
