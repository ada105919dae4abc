#!/usr/bin/env node
/*
 * What a user installing from npm gets: packs the published packages (after `pnpm build`),
 * installs the tarballs into a project outside the workspace with nothing else of ours and no
 * engine SDK types (only typescript and @types/node besides), then typechecks and runs
 * scripts/consumer/*.ts there, and the root README's quick start ("Use it in your project") as
 * written. A workspace hides what a tarball lacks (a devDependency's types, a file left out of
 * `files`); this does not.
 *
 *   pnpm build && node scripts/consumer-check.mjs    (or: pnpm turbo run consumer-check)
 *
 * BERTH_CONSUMER_KEEP=1 keeps the project directory for a look afterwards.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const wanted = ['@berth/core', '@berth/driver-local', '@berth/driver-docker'];
const programs = ['local.ts', 'docker.ts'];

/** The root README's quick start: the first ts block under "## Use it in your project". */
function readmeQuickStart() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf('## Use it in your project');
  const snippet = at === -1 ? undefined : readme.slice(at).match(/```ts\n([\s\S]*?)```/)?.[1];
  if (!snippet)
    throw new Error('consumer-check: README.md has no ts block under "## Use it in your project"');
  return snippet;
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function run(command, args, options = {}) {
  const started = Date.now();
  try {
    execFileSync(command, args, { stdio: 'inherit', ...options });
  } catch (error) {
    console.error(
      `consumer-check: failed: ${command} ${args.join(' ')} (in ${options.cwd ?? root})`,
    );
    throw error;
  }
  return Date.now() - started;
}

/** Workspace packages by name, with their directories. */
function workspacePackages() {
  const found = new Map();
  const packagesDir = join(root, 'packages');
  for (const entry of readdirSync(packagesDir)) {
    const manifest = join(packagesDir, entry, 'package.json');
    if (existsSync(manifest)) found.set(readJson(manifest).name, join(packagesDir, entry));
  }
  return found;
}

/** The wanted packages and every workspace package they need at install time. */
function closure(names, packages) {
  const needed = new Set();
  const visit = (name) => {
    if (needed.has(name)) return;
    const dir = packages.get(name);
    if (!dir) throw new Error(`consumer-check: ${name} is not a workspace package`);
    needed.add(name);
    const manifest = readJson(join(dir, 'package.json'));
    for (const field of ['dependencies', 'peerDependencies']) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        if (String(range).startsWith('workspace:')) visit(dep);
      }
    }
  };
  for (const name of names) visit(name);
  return [...needed];
}

const packages = workspacePackages();
const needed = closure(wanted, packages);
for (const name of needed) {
  if (!existsSync(join(packages.get(name), 'dist', 'index.js'))) {
    console.error(`consumer-check: ${name} is not built: run 'pnpm build' first.`);
    process.exit(1);
  }
}

const rootManifest = readJson(join(root, 'package.json'));
const work = mkdtempSync(join(tmpdir(), 'berth-consumer-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
mkdirSync(tarballs);
mkdirSync(project);
let ok = false;
try {
  const dependencies = {};
  for (const name of needed) {
    const out = execFileSync('pnpm', ['pack', '--pack-destination', tarballs, '--json'], {
      cwd: packages.get(name),
      encoding: 'utf8',
    });
    // pnpm may print notices before the JSON: read from the first brace.
    const { filename } = JSON.parse(out.slice(out.indexOf('{')));
    dependencies[name] = `file:${filename}`;
  }
  // The toolchain the repository itself pins, so the check does not drift with npm's latest.
  for (const tool of ['typescript', '@types/node']) {
    dependencies[tool] = rootManifest.devDependencies[tool];
  }
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'berth-consumer', private: true, type: 'module', dependencies }, null, 2)}\n`,
  );
  for (const file of ['tsconfig.json', ...programs]) {
    cpSync(join(root, 'scripts', 'consumer', file), join(project, file));
  }
  // Typechecked with the programs, then run: what a reader of the README pastes.
  writeFileSync(join(project, 'readme.ts'), readmeQuickStart());

  // A project of its own: no workspace above it, nothing hoisted, pnpm's strict layout (a
  // package sees only what it declares, as with any installer at its strictest).
  // --no-frozen-lockfile: under CI pnpm insists on a lockfile, and this project has none.
  const installMs = run('pnpm', ['install', '--prefer-offline', '--no-frozen-lockfile'], {
    cwd: project,
  });
  const typecheckMs = run(join(project, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], {
    cwd: project,
  });
  console.log(
    `consumer-check: installed ${needed.join(', ')} from tarballs in ${installMs} ms; typechecked in ${typecheckMs} ms`,
  );
  for (const program of programs) run(process.execPath, [program], { cwd: project });
  // The local driver's default state directory is under XDG_CACHE_HOME: the work directory's.
  let printed;
  try {
    printed = execFileSync(process.execPath, ['readme.ts'], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, XDG_CACHE_HOME: join(work, 'cache') },
    });
  } catch (error) {
    console.error(`consumer-check: failed: the README quick start (readme.ts in ${project})`);
    throw error;
  }
  if (printed.trim() !== 'hi') {
    console.error(
      `consumer-check: the README quick start printed ${JSON.stringify(printed)}, not hi`,
    );
    throw new Error('README quick start');
  }
  console.log("consumer-check: the README's quick start ran and printed hi");
  ok = true;
  console.log('consumer-check: ok');
} catch {
  // run() has said what failed, and the command its own output.
  process.exitCode = 1;
} finally {
  if (process.env.BERTH_CONSUMER_KEEP === '1' || !ok)
    console.log(`consumer-check: project kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
