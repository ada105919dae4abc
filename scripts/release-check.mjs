#!/usr/bin/env node
/*
 * `pnpm release` without the publishing: what `changeset publish` would upload, made and checked
 * on every package under packages/ (a new one is covered as soon as it is there).
 *
 *   pnpm release:dry-run    (builds first: turbo run release-check)
 *
 *  1. Each package.json and what sits next to it: repository, homepage, bugs, keywords, public
 *     access, files, engines, LICENSE (identical to the root's), the README's runtime line.
 *  2. `changeset status`: the changesets parse into a release plan.
 *  3. `changeset publish-plan`, asked of a stand-in registry on 127.0.0.1 that has none of the
 *     packages (nothing is published yet): every package is planned, no network, no credentials.
 *  4. `changeset pack` from that plan: the tarballs `changeset publish --from-pack-dir` would
 *     upload, each checked for LICENSE, README.md and dist/, and for no tests, fixtures, sources
 *     or leftover workspace: ranges.
 *  5. The tarballs installed into a project of their own: every export imports on this Node.js,
 *     and on an older one (the machine's own, e.g. /usr/bin/node) stops with one line saying so.
 *     Without an older Node.js that step is skipped, the reason printed; with CI=true it fails.
 *
 * BERTH_RELEASE_KEEP=1 keeps the work directory (plan, tarballs, project) for a look afterwards.
 */
import { execFile, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manifestProblems, rootReadmeProblems } from './release/manifests.mjs';
import { findOldNode, oldNodeProblems } from './release/old-node.mjs';
import { tarballEntries, tarballProblems, unpack } from './release/tarballs.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const say = (line) => console.log(`release-check: ${line}`);

class CheckFailed extends Error {}

function fail(problems) {
  for (const problem of problems) console.error(`release-check: ${problem}`);
  throw new CheckFailed(`${problems.length} problem(s)`);
}

/** Runs a command, its output shown only when it fails. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', ...options });
  if (result.status !== 0) {
    fail([
      `${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}${result.stderr}`,
    ]);
  }
  return result.stdout;
}

/**
 * The same, without blocking this process: for a command that talks to the stand-in registry,
 * which this process serves (under spawnSync it could not answer, and the command would hang).
 */
function runAsync(command, args, options = {}) {
  return new Promise((done, failed) => {
    execFile(
      command,
      args,
      { cwd: root, timeout: 120_000, ...options },
      (error, stdout, stderr) => {
        if (!error) return done(stdout);
        try {
          fail([`${command} ${args.join(' ')} failed (${error.message}):\n${stdout}${stderr}`]);
        } catch (checkFailed) {
          failed(checkFailed);
        }
      },
    );
  });
}

/** Every directory under packages/ with a package.json, and that manifest. */
function workspacePackages() {
  return readdirSync(join(root, 'packages'))
    .filter((dir) => existsSync(join(root, 'packages', dir, 'package.json')))
    .map((dir) => ({ dir, manifest: readJson(join(root, 'packages', dir, 'package.json')) }));
}

/** turbo.json must run this check after every package's build, or it may pack a stale dist/. */
function turboProblems(packages) {
  const task = readJson(join(root, 'turbo.json')).tasks['//#release-check'];
  return packages
    .filter(({ manifest }) => !task?.dependsOn?.includes(`${manifest.name}#build`))
    .map(
      ({ manifest }) =>
        `turbo.json: //#release-check does not depend on ${manifest.name}#build: add it, so the check packs a fresh build`,
    );
}

/** A registry that has no package at all: what publish-plan sees before the first release. */
async function emptyRegistry() {
  const server = createServer((_request, response) => {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end('{"error":"Not found"}');
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

/**
 * `changeset status` needs the base branch, by that name (it runs `git merge-base <base> HEAD`),
 * to tell what changed; a clone may lack it.
 */
function baseBranchPresent(base) {
  const ref = `refs/heads/${base}`;
  return spawnSync('git', ['rev-parse', '--verify', '--quiet', ref], { cwd: root }).status === 0;
}

const rootManifest = readJson(join(root, 'package.json'));
const minimumMajor = Number(rootManifest.engines.node.match(/\d+/)[0]);
const packages = workspacePackages();
const work = mkdtempSync(join(tmpdir(), 'berth-release-'));
// npm (behind `pnpm info`) writes a debug log on every 404: into the work directory, not ~/.npm.
const quietNpm = { ...process.env, npm_config_logs_dir: join(work, 'npm-logs') };
let ok = false;
try {
  // 1. The sources.
  const sourceProblems = [
    ...turboProblems(packages),
    ...rootReadmeProblems(root),
    ...packages.flatMap(({ dir, manifest }) =>
      manifestProblems({ root, dir, manifest, rootManifest }),
    ),
  ];
  if (sourceProblems.length > 0) fail(sourceProblems);
  for (const { dir, manifest } of packages) {
    if (!existsSync(join(root, 'packages', dir, 'dist'))) {
      fail([`${manifest.name} is not built: run 'pnpm release:dry-run', which builds first`]);
    }
  }
  say(
    `${packages.length} package.json files ready: ${packages.map((p) => p.manifest.name).join(', ')}`,
  );

  // 2. The changesets.
  const { baseBranch } = readJson(join(root, '.changeset', 'config.json'));
  if (baseBranchPresent(baseBranch)) {
    const statusFile = join(work, 'status.json');
    run('pnpm', ['exec', 'changeset', 'status', '--output', statusFile]);
    const status = readJson(statusFile);
    const bumps = status.releases
      .filter((r) => r.type !== 'none')
      .map((r) => `${r.name} ${r.type} -> ${r.newVersion}`);
    say(
      `${status.changesets.length} changesets; the next version would bump ${bumps.join(', ') || 'nothing'}`,
    );
  } else if (inCI) {
    fail([
      `changeset status needs the base branch '${baseBranch}', which this clone lacks: git fetch origin ${baseBranch}:${baseBranch} (or git branch ${baseBranch} origin/${baseBranch})`,
    ]);
  } else {
    say(`changeset status skipped: no '${baseBranch}' branch in this clone to compare with`);
  }

  // 3. The publish plan.
  const planFile = join(work, 'plan.json');
  const registry = await emptyRegistry();
  try {
    await runAsync('pnpm', ['exec', 'changeset', 'publish-plan', '--output', planFile], {
      env: { ...quietNpm, npm_config_registry: registry.url },
    });
  } finally {
    registry.close();
  }
  const planned = readJson(planFile).plan.flat();
  const plannedNames = planned.map((r) => r.name);
  const unplanned = packages.filter(({ manifest }) => !plannedNames.includes(manifest.name));
  const strays = plannedNames.filter((n) => !packages.some(({ manifest }) => manifest.name === n));
  if (unplanned.length > 0 || strays.length > 0) {
    fail([
      ...unplanned.map(({ manifest }) => `${manifest.name} is not in changesets' publish plan`),
      ...strays.map((name) => `${name} is in the publish plan but not under packages/`),
    ]);
  }
  say(
    `changeset publish would publish ${planned.map((r) => `${r.name}@${r.version} (${r.access}, ${r.tag})`).join(', ')}`,
  );

  // 4. The tarballs.
  const packDir = join(work, 'pack');
  run('pnpm', ['exec', 'changeset', 'pack', '--from-publish-plan', planFile, '--out-dir', packDir]);
  const packedPlan = readJson(join(packDir, 'publish-plan.json')).plan.flat();
  const tarballIssues = [];
  const dependencies = {};
  for (const release of packedPlan) {
    const tarball = join(packDir, release.tarball.path);
    const into = join(work, 'unpacked', release.name);
    mkdirSync(into, { recursive: true });
    const entries = tarballEntries(tarball);
    tarballIssues.push(
      ...tarballProblems({ root, ...release, entries, unpacked: unpack(tarball, into) }),
    );
    dependencies[release.name] = `file:${tarball}`;
    say(`${release.tarball.path}: ${entries.length} files`);
  }
  if (tarballIssues.length > 0) fail(tarballIssues);

  // 5. The tarballs as a user installs them, on this Node.js and on an older one.
  const oldNode = findOldNode(minimumMajor);
  if (oldNode.reason && inCI)
    fail([`an older Node.js is needed for this check: ${oldNode.reason}`]);
  if (oldNode.reason) {
    say(`older-Node.js check skipped: ${oldNode.reason}`);
  } else {
    const project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      // The overrides stand for the registry these versions are not on yet: a package that
      // depends on another Berth package (the CLI on the drivers) gets its tarball too.
      `${JSON.stringify({ name: 'berth-release-check', private: true, type: 'module', dependencies, pnpm: { overrides: dependencies } }, null, 2)}\n`,
    );
    // --no-frozen-lockfile: under CI pnpm insists on a lockfile, and this project has none.
    run('pnpm', ['install', '--prefer-offline', '--no-frozen-lockfile', '--reporter=silent'], {
      cwd: project,
      env: quietNpm,
    });
    const manifests = packedPlan.map((r) =>
      readJson(join(work, 'unpacked', r.name, 'package', 'package.json')),
    );
    const { problems, imports, programs } = oldNodeProblems({
      project,
      manifests,
      oldNode,
      minimumMajor,
    });
    if (problems.length > 0) fail(problems);
    say(
      `${imports.length} exports (${imports.join(', ')}) import on Node.js ${process.versions.node}; on Node.js ${oldNode.version} (${oldNode.path}) each, and each of ${programs.length} bin programs, stops with one UnsupportedNodeError line naming its package`,
    );
  }
  ok = true;
  say('ok: nothing was published');
} catch (error) {
  if (!(error instanceof CheckFailed)) throw error;
  process.exitCode = 1;
} finally {
  if (process.env.BERTH_RELEASE_KEEP === '1') say(`work directory kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
  if (!ok) process.exitCode = 1;
}
