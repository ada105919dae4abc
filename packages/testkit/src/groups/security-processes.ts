import type { ContainerInstance } from '@berth/core';
import { expect } from 'vitest';
import type { GroupTest } from '../conformance.js';
import { poll, type SuiteContext } from '../support.js';
import {
  DONE,
  describeError,
  expectFinished,
  isRefusal,
  leaks,
  newSecret,
  probeConfig,
  removeAll,
  runToEnd,
  SHOW,
  script,
  stdoutOf,
  untilLogged,
} from './security-support.js';

// A victim whose liveness shows in its logs: a stopped (SIGSTOP) process stops ticking.
const TICKER = 'echo ready; while :; do sleep 1; echo tick; done';

/*
 * Run as a container's program: reads the environment and command line of every process it
 * can see, then stops each and finally sends SIGKILL to everything it may signal. Excluding
 * itself ($$) keeps it alive to report; kill -1 never reaches the caller.
 */
const PROCESS_PROBE = `me=$$
pids=$(cd /proc && echo [0-9]*)
for p in $pids; do
  [ "$p" = "$me" ] && continue
  echo "== /proc/$p/environ"
  tr '\\0' '\\n' 2>/dev/null < "/proc/$p/environ"
  echo
  echo "== /proc/$p/cmdline"
  tr '\\0' ' ' 2>/dev/null < "/proc/$p/cmdline"
  echo
done
stopped=
for p in $pids; do
  [ "$p" = "$me" ] && continue
  kill -STOP "$p" 2>/dev/null && stopped="$stopped $p"
done
echo "== signals"
echo "SIGSTOP delivered to:$stopped"
kill -9 -1 2>/dev/null && echo "kill -9 -1 delivered"
echo ${DONE}`;

// Run by the victim: where it could put its secret, and where it runs.
const WRITER = `pwd
if (echo "$SECRET" > secret) 2>/dev/null; then echo wrote-cwd; fi
if (echo "$SECRET" > /tmp/secret) 2>/dev/null; then echo wrote-tmp; fi
echo ready
sleep 600`;

// $1: the victim's working directory as the victim sees it.
const FILE_PROBE = `${SHOW}
a=$1
show "$a/secret"
show /tmp/secret
for p in /proc/[0-9]*; do
  show "$p/cwd/secret"
  show "$p/root/tmp/secret"
  show "$p/root$a/secret"
done
echo ${DONE}`;

const ROOT_USERS = ['0:0', '0', 'root', '1000:0'];

const countTicks = (logs: string) => logs.split('\n').filter((l) => l === 'tick').length;

/** A victim that wrote its secret somewhere; a writable root when the default has no writable place. */
async function startWriter(
  ctx: SuiteContext,
  secret: string,
): Promise<{ victim: ContainerInstance; pwd: string; wrote: string[] }> {
  for (const readOnly of [undefined, false]) {
    const victim = await ctx.driver.createContainer(
      probeConfig(ctx, {
        command: ctx.sh(WRITER),
        env: { SECRET: secret },
        ...(readOnly === false ? { security: { readOnly } } : {}),
      }),
    );
    await ctx.driver.startContainer(victim.id);
    await untilLogged(ctx, victim.id, 'ready');
    const lines = (await stdoutOf(ctx, victim.id)).split('\n');
    const wrote = lines.filter((l) => l.startsWith('wrote-'));
    if (wrote.length > 0) return { victim, pwd: lines[0] ?? '/', wrote };
    await removeAll(ctx, [victim.id]);
  }
  throw new Error('the victim could write its secret nowhere, even with a writable root');
}

/** What became of a container made as root: the uid and gid its program ran as. */
async function ranAs(ctx: SuiteContext, id: string): Promise<string> {
  try {
    await ctx.driver.startContainer(id);
    await ctx.driver.waitContainer(id);
    return `; its program ran as uid/gid ${(await stdoutOf(ctx, id)).trim().replace('\n', '/')}`;
  } catch (error) {
    return `; starting it failed (${describeError(error)})`;
  } finally {
    await removeAll(ctx, [id]);
  }
}

export function defineProcessTests(test: GroupTest): void {
  test(
    "a container cannot see or signal another container's processes",
    async (ctx) => {
      const secret = newSecret();
      const a = await ctx.driver.createContainer(
        probeConfig(ctx, { command: ctx.sh(TICKER), env: { SECRET: secret } }),
      );
      try {
        await ctx.driver.startContainer(a.id);
        await untilLogged(ctx, a.id, 'tick');
        // B's own program: an exec's kill -9 -1 would end its own container, and with it the
        // exec itself, before the probe could report.
        const probe = await runToEnd(ctx, probeConfig(ctx, { command: ctx.sh(PROCESS_PROBE) }));
        expectFinished(probe.stdout, "B's process probe", probe.stderr);
        const findings = leaks(probe.stdout, secret).map((w) => `B read A's SECRET via ${w}`);
        const signals = probe.stdout
          .slice(probe.stdout.indexOf('== signals\n') + '== signals\n'.length)
          .replace(`${DONE}\n`, '')
          .trim()
          .replaceAll('\n', '; ');

        const ticks = countTicks(await stdoutOf(ctx, a.id));
        const ticking = await poll(
          async () => countTicks(await stdoutOf(ctx, a.id)),
          (seen) => seen > ticks,
          { timeoutMs: 5000 },
        );
        if (!ticking.ok) {
          findings.push(
            `A's program stopped running after B's signals (${signals}): ${ticking.last} ticks 5 s later, ${ticks} before`,
          );
        }
        const after = await ctx.driver.getContainer(a.id);
        if (after?.status !== 'running') {
          findings.push(
            `A is ${after?.status} (exit code ${after?.exitCode}) after B's signals (${signals})`,
          );
        } else {
          const alive = await ctx.driver
            .exec(a.id, ctx.sh('echo alive'))
            .catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: describeError(e) }));
          if (alive.stdout !== 'alive\n') {
            findings.push(`exec in A fails after B's signals: ${alive.exitCode} ${alive.stderr}`);
          }
          if (!(await ctx.driver.isContainerHealthy(a.id))) {
            findings.push("A is unhealthy after B's signals");
          }
        }
        expect(
          findings,
          "a container cannot read another's environment or command line, nor stop or kill its processes",
        ).toEqual([]);
      } finally {
        await removeAll(ctx, [a.id]);
      }
    },
    (caps) => (caps.exec ? undefined : 'the driver reports exec: false'),
  );

  test(
    "a container cannot read another container's files",
    async (ctx) => {
      const secret = newSecret();
      const { victim, pwd, wrote } = await startWriter(ctx, secret);
      try {
        const probe = await runToEnd(
          ctx,
          probeConfig(ctx, { command: script(ctx, FILE_PROBE, pwd) }),
        );
        expectFinished(probe.stdout, "B's file probe", probe.stderr);
        const findings = leaks(probe.stdout, secret).map(
          (w) => `B read A's secret (A: pwd ${pwd}, ${wrote.join(', ')}) at ${w}`,
        );
        expect(findings, 'a container cannot read the files another container wrote').toEqual([]);
      } finally {
        await removeAll(ctx, [victim.id]);
      }
    },
    (caps) =>
      caps.readOnlyRootfs
        ? undefined
        : 'the driver reports readOnlyRootfs: false (containers have no filesystem of their own)',
  );

  test(
    'root is refused',
    async (ctx) => {
      const findings: string[] = [];
      const listed = async () =>
        (await ctx.driver.listContainers({ sessionId: ctx.sessionId })).map((c) => c.id).sort();
      const before = await listed();
      for (const user of ROOT_USERS) {
        const outcome = await ctx.driver
          .createContainer(
            probeConfig(ctx, { command: ctx.sh('id -u; id -g'), security: { user } }),
          )
          .catch((error: unknown) => ({ error }));
        if (!('error' in outcome)) {
          findings.push(`security.user '${user}' was accepted${await ranAs(ctx, outcome.id)}`);
        } else if (!isRefusal(outcome.error)) {
          findings.push(
            `security.user '${user}' failed with ${describeError(outcome.error)}, not a ConfigurationError or UnsupportedFeatureError`,
          );
        }
      }
      expect(await listed(), 'a refused create left a container').toEqual(before);

      if ((await ctx.driver.capabilities()).exec) {
        const { id } = await ctx.driver.createContainer(
          probeConfig(ctx, { command: ctx.longRunning() }),
        );
        try {
          await ctx.driver.startContainer(id);
          for (const user of ['0', 'root']) {
            const outcome = await ctx.driver
              .exec(id, ctx.sh('id -u'), { user })
              .catch((error: unknown) => ({ error }));
            if (!('error' in outcome)) {
              findings.push(
                `exec with user '${user}' was accepted: exit ${outcome.exitCode}, uid ${outcome.stdout.trim()}`,
              );
            } else if (!isRefusal(outcome.error)) {
              findings.push(
                `exec with user '${user}' failed with ${describeError(outcome.error)}, not a ConfigurationError or UnsupportedFeatureError`,
              );
            }
          }
        } finally {
          await removeAll(ctx, [id]);
        }
      }
      expect(
        findings,
        "root (uid or gid 0) is refused in security.user and in exec's user, with a ConfigurationError or UnsupportedFeatureError",
      ).toEqual([]);
    },
    (caps) => (caps.user ? undefined : 'the driver reports user: false'),
  );
}
