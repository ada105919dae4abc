import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ConformanceGroup,
  type ConformanceOptions,
  describeDriverConformance,
  type SecurityConformanceOptions,
} from '@berth/testkit';
import { afterAll } from 'vitest';
import { LocalDriver } from '../src/index.js';

const dirs: string[] = [];
const stateDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), `berth-local-conformance-${prefix}`));
  dirs.push(dir);
  return dir;
};
const drivers: LocalDriver[] = [];
const track = (driver: LocalDriver) => {
  drivers.push(driver);
  return driver;
};

afterAll(async () => {
  for (const driver of drivers) {
    for (const c of await driver.listContainers()) {
      await driver.removeContainer(c.id, { force: true });
    }
    await driver.close();
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/*
 * For the security group: a library recording the euid of every process that loads it. The
 * marker path is compiled in because the environment is what is under test; the directory is
 * 1777 and the library world-readable so a load by any user can be recorded.
 */
function preloadLibrary(): SecurityConformanceOptions['preloadLibrary'] {
  const dir = stateDir('preload-');
  chmodSync(dir, 0o755);
  const markerDir = join(dir, 'marks');
  mkdirSync(markerDir);
  chmodSync(markerDir, 0o1777);
  const marks = join(markerDir, 'marks.log');
  const source = join(dir, 'mark.c');
  writeFileSync(
    source,
    `#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void berth_mark(void) {
  char exe[512] = "?";
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) exe[n] = 0;
  FILE *f = fopen(${JSON.stringify(marks)}, "a");
  if (f) { fprintf(f, "%d %s (pid %d)\\n", (int)geteuid(), exe, (int)getpid()); fclose(f); }
}
`,
  );
  const path = join(dir, 'libberthmark.so');
  try {
    execFileSync('gcc', ['-shared', '-fPIC', '-o', path, source], { stdio: 'pipe' });
  } catch (error) {
    console.warn(`[local conformance] no preload library (${String(error)}): that test skips`);
    return undefined;
  }
  chmodSync(path, 0o755);
  // A library that records nothing would make the test pass for nothing.
  execFileSync('/bin/true', { env: { LD_PRELOAD: path } });
  if (!existsSync(marks) || !/^\d+ /.test(readFileSync(marks, 'utf8'))) {
    throw new Error(`the preload library recorded nothing in ${marks}`);
  }
  rmSync(marks);
  return { path, markerDir };
}

/*
 * The files group works in a named volume, not in /tmp: a container's /tmp is its sandbox's
 * tmpfs, there only while it runs, so files of a container that does not run are those of its
 * work directory and its mounts (README, "Files"). A volume keeps them, and so the group's
 * stopped-container test is run (whenStopped stays true) rather than skipped.
 */
const files: ConformanceOptions['files'] = {
  dir: '/data',
  config: { volumes: [{ source: 'berth-conformance-files', target: '/data', type: 'volume' }] },
};

const bindRoot = stateDir('binds-');
describeDriverConformance(
  'local',
  () => track(new LocalDriver({ stateDir: stateDir('main-'), allowedRoots: [bindRoot] })),
  {
    image: 'host',
    files,
    // The same driver without bubblewrap cannot make the root read-only, which the default
    // config asks for: the capability-honesty group checks it fails closed, or reports it.
    createWeakDriver: (enforcement) =>
      track(
        new LocalDriver({
          stateDir: stateDir('weak-'),
          enforcement,
          isolation: { bubblewrap: false },
        }),
      ),
    // The group's containers keep the default user: each gets an identity of its own, which is
    // part of what is under test.
    security: {
      bindRoot,
      preloadLibrary: preloadLibrary(),
      // The host has no nc; bash's /dev/tcp connects, timeout bounds it.
      connect: (host, port) => [
        'timeout',
        '3',
        'bash',
        '-c',
        'exec 3<>"/dev/tcp/$0/$1"',
        host,
        String(port),
      ],
      // busybox (scripts/local-host.sh installs it) listens; containers on one internal network
      // share its namespace, so a peer is reached on loopback.
      listen: (port) => ['busybox', 'nc', '-l', '-p', String(port)],
      peerAddress: () => '127.0.0.1',
    },
  },
);

// Keyed by group, so a group added to the suite fails to compile here until it is listed.
const GROUPS: Record<ConformanceGroup, true> = {
  lifecycle: true,
  queries: true,
  logs: true,
  exec: true,
  health: true,
  control: true,
  readiness: true,
  processes: true,
  files: true,
  lifetimes: true,
  volumes: true,
  networks: true,
  errors: true,
  idempotency: true,
  concurrency: true,
  security: true,
  capabilities: true,
  cleanup: true,
  inputs: true,
};
const ALL_GROUPS = Object.keys(GROUPS) as ConformanceGroup[];

// The files group again with a chosen user, the one the owner test then expects.
describeDriverConformance(
  'local, files with a chosen user',
  () => track(new LocalDriver({ stateDir: stateDir('files-') })),
  {
    image: 'host',
    baseConfig: { security: { user: '4242:4242' } },
    files,
    skip: Object.fromEntries(
      ALL_GROUPS.filter((g) => g !== 'files').map((g) => [g, 'run above, with the default user']),
    ),
  },
);
