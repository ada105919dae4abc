import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  containerUid,
  eventually,
  isAlive,
  makeDriver,
  processesOf,
  shell,
  tempDir,
} from './helpers.js';

/*
 * What a container's code can reach, tried from inside it: other containers' processes,
 * identities and files, and the host's. Each of these got through before the sandbox had a pid
 * namespace, identities and a view of the host of its own.
 */

const hostDirs: string[] = [];
afterAll(async () => {
  for (const dir of hostDirs) await rm(dir, { recursive: true, force: true });
});

async function logsOf(driver: Awaited<ReturnType<typeof makeDriver>>, id: string) {
  await driver.waitContainer(id);
  return driver.getContainerLogs(id);
}

describe('isolation between containers', () => {
  it('gives each container a pid namespace: it sees, reads and signals only its own processes', async () => {
    const driver = await makeDriver();
    const secret = `secret-${randomBytes(6).toString('hex')}`;
    const a = await driver.createContainer(shell('sleep 300', { env: { SECRET: secret } }));
    await driver.startContainer(a.id);
    // A host process running as nobody, as other sandboxes' processes used to.
    const bystander = spawn(
      'setpriv',
      ['--reuid', '65534', '--regid', '65534', '--clear-groups', 'sleep', '300'],
      {
        stdio: 'ignore',
      },
    );
    try {
      await eventually(
        'the bystander process to run (its pid)',
        () => bystander.pid,
        (pid) => pid !== undefined && isAlive(pid),
      );
      const b = await driver.createContainer(
        shell(
          [
            'ls -d /proc/[0-9]* | wc -l',
            'cat /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n" | grep -c "^SECRET=" || true',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
            'for p in /proc/[0-9]*; do [ "${p#/proc/}" = $$ ] || kill -STOP ${p#/proc/} 2>/dev/null; done; echo stopped-all',
            'kill -9 -1; echo survived',
          ].join('; '),
        ),
      );
      await driver.startContainer(b.id);
      const [count, secrets, stopped] = (await logsOf(driver, b.id)).split('\n');
      // bubblewrap's init, the shell and ls: nothing of anyone else.
      expect(Number(count)).toBeLessThanOrEqual(4);
      expect(secrets).toBe('0');
      expect(stopped).toBe('stopped-all');
      expect(isAlive(bystander.pid as number)).toBe(true);
      expect((await driver.getContainer(a.id))?.status).toBe('running');
      expect(await driver.exec(a.id, ['sh', '-c', 'echo $SECRET'])).toMatchObject({
        exitCode: 0,
        stdout: `${secret}\n`,
      });
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('gives each container a uid and gid of its own, from the range, owning its 0700 work dir', async () => {
    const driver = await makeDriver();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await driver.createContainer(shell('id -u; id -g; stat -c %a .'));
      await driver.startContainer(c.id);
      ids.push(c.id);
    }
    const uids = ids.map((id) => containerUid(driver.stateDir, id));
    expect(new Set(uids).size).toBe(3);
    for (const [index, id] of ids.entries()) {
      const uid = uids[index] as number;
      expect(uid).toBeGreaterThanOrEqual(2_000_000_000);
      expect(await logsOf(driver, id)).toBe(`${uid}\n${uid}\n700\n`);
      const work = statSync(join(driver.stateDir, 'containers', id, 'work'));
      expect([work.uid, work.gid, work.mode & 0o777]).toEqual([uid, uid, 0o700]);
    }
    // One whose container vanished without a removal (its driver killed, its stateDir deleted)
    // is given back by the next driver to start.
    const stale = '/var/lib/berth/identities/2000999999';
    await writeFile(stale, JSON.stringify({ stateDir: '/nonexistent-berth', id: 'gone' }));
    await utimes(stale, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    await (await makeDriver()).capabilities();
    await eventually(
      '!existsSync(stale)',
      () => existsSync(stale),
      (seen) => !seen,
    );
    // Given back on removal, and taken by nobody else meanwhile.
    await driver.removeContainer(ids[0] as string);
    expect(readdirSync('/var/lib/berth/identities')).not.toContain(String(uids[0]));
    expect(readdirSync('/var/lib/berth/identities')).toContain(String(uids[1]));
  });

  it("cannot reach another container's work dir, /tmp or processes by any path", async () => {
    const driver = await makeDriver();
    const a = await driver.createContainer(
      shell('echo hidden > secret; echo hidden > /tmp/secret; pwd; sleep 300'),
    );
    await driver.startContainer(a.id);
    const aDir = await eventually(
      'the first container to print its directory (its logs)',
      async () => (await driver.getContainerLogs(a.id)).trim(),
      (out) => out !== '',
    );
    const b = await driver.createContainer(
      shell(
        `for f in "${aDir}/secret" /proc/*/cwd/secret /proc/*/root/tmp/secret; do cat "$f" 2>/dev/null; done; echo done`,
      ),
    );
    await driver.startContainer(b.id);
    expect(await logsOf(driver, b.id)).toBe('done\n');
  });
});

describe('the host as a container sees it', () => {
  it('shows only system directories, a /etc of its own and its own work dir and /tmp', async () => {
    const hostDir = await mkdtemp('/var/tmp/berth-host-');
    hostDirs.push(hostDir);
    await chmod(hostDir, 0o755);
    await writeFile(join(hostDir, 'readable'), 'host data\n', { mode: 0o644 });
    const other = await makeDriver();
    const neighbour = await other.createContainer(shell('echo theirs > mine; sleep 300'));
    await other.startContainer(neighbour.id);
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell(
        [
          'ls -A / | tr "\\n" " "; echo',
          `cat ${hostDir}/readable /etc/shadow /etc/hostname "${other.stateDir}/containers/${neighbour.id}/work/mine" 2>&1 | sed "s/^cat: //"`,
          'cat /etc/passwd',
          'ls /run /var /home /root /opt /srv /mnt 2>&1 | wc -l',
        ].join('; '),
      ),
    );
    await driver.startContainer(c.id);
    const [top, ...rest] = (await logsOf(driver, c.id)).split('\n');
    const expected = [
      'bin',
      'dev',
      'etc',
      'lib',
      'lib32',
      'lib64',
      'libx32',
      'proc',
      'sbin',
      'tmp',
      'usr',
    ];
    const present = readdirSync('/').filter((n) => expected.includes(n) || n === 'tmp');
    expect(top?.trim().split(' ').sort()).toEqual(
      [...new Set([...present, 'dev', 'etc', 'proc', 'tmp'])].sort(),
    );
    const text = rest.join('\n');
    expect(text).not.toContain('host data');
    expect(text).not.toContain('theirs');
    expect(text).toContain(`${hostDir}/readable: No such file or directory`);
    expect(text).toContain('/etc/shadow: No such file or directory');
    expect(text).toContain('root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:');
    // Nothing of the host's accounts.
    expect(text).not.toMatch(/^daemon:/m);
  });

  it('never has a writable /etc, even with a writable root', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('echo x > /etc/ld.so.preload 2>&1 | sed "s/^.*: //"; touch /tmp/ok && echo tmp ok', {
        security: { readOnly: false },
      }),
    );
    await driver.startContainer(c.id);
    const out = await logsOf(driver, c.id);
    expect(out).toMatch(/Read-only file system|Permission denied/);
    expect(out).toContain('tmp ok');
  });
});

/** A library that records the euid of every process loading it (and says so on stderr). */
async function preloadProbe(): Promise<{ library: string; loaded: () => Promise<string[]> }> {
  const dir = await tempDir('preload-');
  await chmod(dir, 0o755);
  const marks = join(dir, 'marks');
  await mkdir(marks, { mode: 0o1777 });
  await chmod(marks, 0o1777);
  const source = join(dir, 'mark.c');
  await writeFile(
    source,
    `#include <stdio.h>\n#include <unistd.h>\n__attribute__((constructor)) static void mark(void) {\n  FILE *f = fopen("${marks}/loaded", "a");\n  if (f) { fprintf(f, "%d\\n", (int)geteuid()); fclose(f); }\n  fprintf(stderr, "preloaded as %d\\n", (int)geteuid());\n}\n`,
  );
  const library = join(dir, 'mark.so');
  await new Promise<void>((resolve, reject) => {
    const gcc = spawn('gcc', ['-shared', '-fPIC', '-o', library, source], { stdio: 'inherit' });
    gcc.on('error', reject);
    gcc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`gcc exit ${code}`))));
  });
  await chmod(library, 0o755);
  const loaded = async () =>
    (await readFile(join(marks, 'loaded'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { library, loaded };
}

describe('the environment and privileged code', () => {
  it('never loads a library the container names in LD_PRELOAD into anything running as root', async () => {
    const { library, loaded } = await preloadProbe();
    const driver = await makeDriver();
    // The library as the container could have written it into its own work dir, named relative
    // to it: the chain's root steps start there too. Cold (a chosen name), then a restart.
    const env = { LD_PRELOAD: './mark.so' };
    const c = await driver.createContainer(shell('sleep 300', { name: 'preload', env }));
    const inWork = join(driver.stateDir, 'containers', c.id, 'work', 'mark.so');
    await writeFile(inWork, await readFile(library), { mode: 0o755 });
    await driver.startContainer(c.id);
    await driver.restartContainer(c.id, { timeout: 1 });
    const exec = await driver.exec(c.id, ['true'], { env: { LD_PRELOAD: inWork } });
    expect(exec.exitCode).toBe(0);
    const uid = containerUid(driver.stateDir, c.id);
    // It did reach the program, which is the container's own business.
    expect(exec.stderr).toContain(`preloaded as ${uid}`);
    await eventually(
      `the container's log to say 'preloaded as ${uid}' (its logs)`,
      () => driver.getContainerLogs(c.id),
      (logs) => logs.includes(`preloaded as ${uid}`),
    );
    expect(await loaded()).not.toContain('0');
    // Steps inside the sandbox cannot reach the marker file: what they said tells instead.
    expect(exec.stderr).not.toContain('preloaded as 0');
    expect(await driver.getContainerLogs(c.id)).not.toContain('preloaded as 0');
  });

  it('joins, for exec, the namespaces the sandbox was built with, not ones its program made', async () => {
    const { library, loaded } = await preloadProbe();
    const driver = await makeDriver();
    // The program makes a user and a mount namespace of its own and puts an /etc there whose
    // ld.so.preload names its library: an exec joining the program's namespaces would run its
    // root steps (setpriv) with that library loaded.
    const c = await driver.createContainer(
      shell('', {
        command: [
          'unshare',
          '-Urm',
          'sh',
          '-c',
          'cp ./mark.so /tmp/mark.so && mount -t tmpfs none /etc && echo /tmp/mark.so > /etc/ld.so.preload && echo ready; sleep 300',
        ],
      }),
    );
    const work = join(driver.stateDir, 'containers', c.id, 'work', 'mark.so');
    await writeFile(work, await readFile(library), { mode: 0o755 });
    await driver.startContainer(c.id);
    await eventually(
      "the container to print 'ready' (its logs)",
      () => driver.getContainerLogs(c.id),
      (logs) => logs.includes('ready'),
    );
    const exec = await driver.exec(c.id, ['sh', '-c', 'cat /etc/ld.so.preload 2>&1; echo done']);
    expect(exec.stdout).toContain('done');
    // The exec saw the sandbox's own /etc, where there is no such file, and nothing of it ran
    // as root (the library says who loaded it on stderr: inside the sandbox the marker file
    // the host sees is out of reach).
    expect(exec.stdout).toContain('No such file');
    expect(exec.stderr).not.toContain('preloaded as 0');
    expect(await loaded()).not.toContain('0');
  });
});

describe('root and identity', () => {
  it('refuses root, by any spelling, and capabilities that switch identity, creating nothing', async () => {
    const driver = await makeDriver();
    const before = readdirSync('/var/lib/berth/identities', { withFileTypes: false }).length;
    for (const user of ['0', '0:0', 'root', 'root:root', '1000:0', 'daemon:root', '00']) {
      await expect(
        driver.createContainer(shell('id', { security: { user } })),
      ).rejects.toMatchObject({ code: 'CONFIGURATION_ERROR' });
    }
    for (const cap of ['SETUID', 'CAP_SETGID', 'setpcap']) {
      await expect(
        driver.createContainer(
          shell('id', { security: { capabilities: { drop: ['ALL'], add: [cap] } } }),
        ),
      ).rejects.toMatchObject({ code: 'CONFIGURATION_ERROR' });
    }
    // A user in the range the driver hands out would be some container's.
    await expect(
      driver.createContainer(shell('id', { security: { user: '2000000005:2000000005' } })),
    ).rejects.toMatchObject({ code: 'CONFIGURATION_ERROR' });
    expect(await driver.listContainers()).toEqual([]);
    expect(readdirSync(join(driver.stateDir, 'containers'))).toEqual([]);
    expect(readdirSync('/var/lib/berth/identities').length).toBeLessThanOrEqual(before);

    const c = await driver.createContainer(shell('sleep 300'));
    await driver.startContainer(c.id);
    for (const user of ['0', 'root', '0:0', '1000:0', '2000000005']) {
      await expect(driver.exec(c.id, ['id'], { user })).rejects.toMatchObject({
        code: 'CONFIGURATION_ERROR',
      });
    }
    // Its own identity, and a chosen non-root user, are fine.
    const own = containerUid(driver.stateDir, c.id);
    expect((await driver.exec(c.id, ['id', '-u'], { user: String(own) })).stdout).toBe(`${own}\n`);
    expect((await driver.exec(c.id, ['id', '-u'], { user: '1000' })).stdout).toBe('1000\n');
  });

  it('runs a chosen non-root user as that user', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('id -u; id -g', { security: { user: '1234:4321' } }),
    );
    await driver.startContainer(c.id);
    expect(await logsOf(driver, c.id)).toBe('1234\n4321\n');
    // Sandboxes built ahead for the next container of this shape wait as that user, until close.
    await driver.close();
    await eventually(
      'processesOf(1234).length === 0',
      () => processesOf(1234),
      (seen) => seen.length === 0,
    );
  });
});

describe('set-id programs and symlinks the driver follows', () => {
  it('gets no privilege from a set-uid root program, even with no-new-privileges off', async () => {
    const root = await tempDir('suid-');
    await chmod(root, 0o755);
    const program = join(root, 'id-as-root');
    await writeFile(program, await readFile('/usr/bin/id'));
    await chmod(program, 0o4755);
    const driver = await makeDriver({ allowedRoots: [root] });
    const c = await driver.createContainer(
      shell('/opt/suid/id-as-root -u', {
        security: { noNewPrivileges: false },
        volumes: [{ type: 'bind', source: root, target: '/opt/suid', readOnly: true }],
      }),
    );
    await driver.startContainer(c.id);
    // Every mount of the sandbox is nosuid: the bit is there, and ignored.
    expect(statSync(program).mode & 0o4000).toBe(0o4000);
    expect(await logsOf(driver, c.id)).toBe(`${containerUid(driver.stateDir, c.id)}\n`);
  });

  it('does not answer for host files through a symlink the container left in its work dir', async () => {
    // An executable on the host, outside anything the sandbox shows.
    const hostDir = await mkdtemp('/var/tmp/berth-exe-');
    hostDirs.push(hostDir);
    await writeFile(join(hostDir, 'tool'), await readFile('/usr/bin/true'), { mode: 0o755 });
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('', { command: ['./probe'] }));
    // As its program could have left it in its work dir during an earlier run.
    await symlink(
      join(hostDir, 'tool'),
      join(driver.stateDir, 'containers', c.id, 'work', 'probe'),
    );
    // The same answer as for a host path that does not exist: not found, nothing started.
    const error = await driver.startContainer(c.id).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONTAINER_START_FAILED', retryable: false });
    expect((error as Error).message).toContain("executable './probe' was not found");
  });
});

describe('descriptors', () => {
  it("passes none of the driver's inherited descriptors to a container, an exec or a spawn", async () => {
    const stateDir = await tempDir('fds-');
    // Removes, after the test, whatever the child leaves running should it fail midway.
    await makeDriver({ stateDir });
    // The driver's process holds descriptors 40 and 41 without close-on-exec, as a host
    // application may: opened by a shell (Node opens its own close-on-exec, and at startup
    // marks the first inherited ones so, but not ones past a gap).
    const child = spawn(
      'bash',
      [
        '-c',
        'exec "$0" "$@" 40</dev/zero 41>>"$2/host-file"',
        process.execPath,
        join(import.meta.dirname, 'fixtures', 'inherited-fd-child.mjs'),
        stateDir,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      const reported = await eventually(
        "the child's report (its output)",
        () => out,
        (text) => text.includes('\n'),
      );
      const { uid } = JSON.parse(reported) as { uid: number };
      // Seen from the host, which needs no shell of the container's to look.
      const processes = await eventually(
        `three processes of uid ${uid}`,
        () => processesOf(uid),
        (found) => found.length >= 3,
      );
      for (const { pid } of processes) {
        for (const fd of readdirSync(`/proc/${pid}/fd`).map(Number)) {
          if (fd <= 2) continue;
          // The program's own sandbox closes them; an exec's or a spawn's process (started from
          // the driver's process, where Node cannot close them in a child) has them replaced by
          // /dev/null.
          expect(`${fd}=${readlinkSync(`/proc/${pid}/fd/${fd}`)}`).toBe(`${fd}=/dev/null`);
        }
      }
    } finally {
      child.stdin?.end();
      await new Promise((done) => child.on('exit', done));
    }
  });
});
