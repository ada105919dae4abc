import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { expect } from 'vitest';
import type { GroupTest } from '../conformance.js';
import { eventually, type SuiteContext } from '../support.js';
import {
  DONE,
  expectFinished,
  leaks,
  newSecret,
  probeConfig,
  removeAll,
  runToEnd,
  SHOW,
  script,
  shortId,
  stdoutOf,
  untilLogged,
} from './security-support.js';

// $@: host paths of files holding the secret.
const HOST_PROBE = `${SHOW}
for f in "$@"; do show "$f"; done
echo "shadow-bytes $(cat /etc/shadow 2>/dev/null | wc -c)"
echo ${DONE}`;

const SWAP_PROBE = `${SHOW}
show /data/secret
echo "== ls /data"
ls /data 2>&1
if (echo written > /data/written) 2>/dev/null; then echo wrote; fi
echo ${DONE}`;

const inside = (path: string, root: string) =>
  path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);

/** Whether anyone may walk down to `path`: otherwise a hidden file there would prove nothing. */
function traversable(path: string): boolean {
  for (let dir = path; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === dirname(dir)) return true;
  }
}

/**
 * Host directories to hide a secret in, outside the bind root. /tmp alone is not enough: many
 * sandboxes give a private /tmp yet show the rest of the host's tree, so /var/tmp is tried too.
 */
function secretParents(bindRoot: string | undefined): string[] {
  const allowed = bindRoot && existsSync(bindRoot) ? realpathSync(bindRoot) : undefined;
  const parents = new Set<string>();
  for (const candidate of [tmpdir(), '/var/tmp']) {
    if (!existsSync(candidate)) continue;
    const real = realpathSync(candidate);
    if (allowed && inside(real, allowed)) continue;
    if (traversable(real)) parents.add(real);
  }
  return [...parents];
}

/** A world-readable file holding `secret`, in a fresh 0755 directory under `parent`. */
function plantSecret(parent: string, prefix: string, secret: string): string {
  const dir = mkdtempSync(join(parent, prefix));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'secret'), `${secret}\n`);
  chmodSync(join(dir, 'secret'), 0o644);
  return dir;
}

/** Lines the preload library appended since the reader was made, file by file. */
function markReader(markerDir: string): () => string[] {
  const read = () =>
    new Map(
      readdirSync(markerDir).map((f) => [f, readFileSync(join(markerDir, f), 'utf8')] as const),
    );
  let seen = read();
  return () => {
    const now = read();
    const fresh = [...now].flatMap(([file, text]) =>
      text
        .slice(seen.get(file)?.length ?? 0)
        .split('\n')
        .filter((l) => l !== ''),
    );
    seen = now;
    return fresh;
  };
}

const countLines = async (ctx: SuiteContext, id: string, line: string) =>
  (await stdoutOf(ctx, id)).split('\n').filter((l) => l === line).length;

export function defineHostTests(test: GroupTest): void {
  test(
    "a container cannot read the host's files",
    async (ctx) => {
      const secret = newSecret();
      const parents = secretParents(ctx.options.security?.bindRoot);
      expect(
        parents.length,
        'no world-traversable host directory to hide a secret in',
      ).toBeGreaterThan(0);
      const dirs = parents.map((p) => plantSecret(p, 'berth-host-secret-', secret));
      try {
        const files = dirs.map((d) => join(d, 'secret'));
        const probe = await runToEnd(
          ctx,
          probeConfig(ctx, { command: script(ctx, HOST_PROBE, ...files) }),
        );
        expectFinished(probe.stdout, 'the host-file probe', probe.stderr);
        const findings = leaks(probe.stdout, secret).map(
          (w) => `the container read the host's ${w}`,
        );
        const shadow = Number(/^shadow-bytes\s+(\d+)/m.exec(probe.stdout)?.[1] ?? 0);
        if (shadow > 0) findings.push(`the container read ${shadow} bytes of /etc/shadow`);
        expect(
          findings,
          "a container cannot read the host's files (a secret planted in host temp directories, /etc/shadow)",
        ).toEqual([]);
      } finally {
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      }
    },
    (caps) =>
      caps.readOnlyRootfs
        ? undefined
        : 'the driver reports readOnlyRootfs: false (containers have no filesystem of their own)',
  );

  test("the container's environment does not reach privileged code", async (ctx, skip) => {
    const library = ctx.options.security?.preloadLibrary;
    if (!library) {
      return skip('needs security.preloadLibrary: a library that records who loads it');
    }
    const env = { LD_PRELOAD: library.path };
    const exec = (await ctx.driver.capabilities()).exec;
    const newMarks = markReader(library.markerDir);
    const findings: string[] = [];
    const step = async (what: string, run: () => Promise<unknown>) => {
      await run();
      for (const mark of newMarks()) {
        if (/^0(\s|$)/.test(mark)) findings.push(`${what}: loaded with euid 0 (${mark})`);
      }
    };
    const named = await ctx.driver.createContainer(
      probeConfig(ctx, {
        name: `${ctx.sessionId}-preload-${shortId()}`,
        command: ctx.sh('echo started'),
        env,
      }),
    );
    const plain = await ctx.driver.createContainer(
      probeConfig(ctx, { command: ctx.sh('echo started; sleep 600'), env }),
    );
    try {
      await step('starting a named container', async () => {
        await ctx.driver.startContainer(named.id);
        await ctx.driver.waitContainer(named.id);
      });
      // The program prints only once whatever runs before it (the driver's chain) is done.
      await step('starting a container', async () => {
        await ctx.driver.startContainer(plain.id);
        await untilLogged(ctx, plain.id, 'started');
      });
      if (exec)
        await step('exec with LD_PRELOAD', () => ctx.driver.exec(plain.id, ['true'], { env }));
      await step('restarting it', async () => {
        await ctx.driver.restartContainer(plain.id, { timeout: 2 });
        await eventually(
          "the restarted container prints 'started' a second time (lines printed)",
          () => countLines(ctx, plain.id, 'started'),
          (n) => n >= 2,
        );
      });
      if (exec) {
        await step('exec after the restart', () => ctx.driver.exec(plain.id, ['true'], { env }));
      }
      await new Promise((r) => setTimeout(r, 300));
      await step('afterwards', async () => {});
    } finally {
      await removeAll(ctx, [named.id, plain.id]);
    }
    expect(findings, "no process loads a library from the container's LD_PRELOAD as root").toEqual(
      [],
    );
  });

  test(
    'a bind mount swapped for a symlink after create is not followed',
    async (ctx, skip) => {
      const bindRoot = ctx.options.security?.bindRoot;
      if (!bindRoot) {
        return skip(
          'needs security.bindRoot: a host directory the driver allows bind sources under',
        );
      }
      const secret = newSecret();
      const base = mkdtempSync(join(bindRoot, 'berth-swap-'));
      const data = join(base, 'data');
      mkdirSync(data);
      chmodSync(data, 0o777);
      writeFileSync(join(data, 'harmless'), 'harmless\n');
      const [parent] = secretParents(bindRoot);
      expect(parent, 'no host directory outside bindRoot for the symlink target').toBeDefined();
      const outside = plantSecret(parent as string, 'berth-outside-', secret);
      // Writable by the container's user, so a write that got through would show.
      chmodSync(outside, 0o777);
      const findings: string[] = [];
      const { id } = await ctx.driver.createContainer(
        probeConfig(ctx, {
          command: script(ctx, SWAP_PROBE),
          volumes: [{ type: 'bind', source: data, target: '/data', readOnly: false }],
        }),
      );
      try {
        rmSync(data, { recursive: true });
        symlinkSync(outside, data);
        const refused = await ctx.driver.startContainer(id).then(
          () => false,
          () => true,
        );
        if (!refused) {
          await ctx.driver.waitContainer(id);
          const stdout = await stdoutOf(ctx, id);
          expectFinished(stdout, 'the bind-mount probe', await ctx.driver.getContainerLogs(id));
          for (const w of leaks(stdout, secret)) {
            findings.push(`the container read ${w}, the symlink's target ${outside}/secret`);
          }
        }
        if (existsSync(join(outside, 'written'))) {
          findings.push(`the container wrote through the symlink to ${outside}/written`);
        }
        expect(
          findings,
          'a bind source swapped for a symlink after create is not followed (start refuses, or nothing outside is read or written)',
        ).toEqual([]);
      } finally {
        await removeAll(ctx, [id]);
        rmSync(base, { recursive: true, force: true });
        rmSync(outside, { recursive: true, force: true });
      }
    },
    (caps) => (caps.volumes ? undefined : 'the driver reports volumes: false'),
  );
}
