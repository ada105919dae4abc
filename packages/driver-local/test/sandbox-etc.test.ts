import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareSandboxEtc } from '../src/isolation/sandbox-etc.js';
import { tempDir } from './helpers.js';

/** A stand-in for the host's /etc, with the kinds of entries the copy must handle. */
async function fakeEtc(): Promise<string> {
  const etc = await tempDir('etc-');
  await writeFile(join(etc, 'hosts'), '127.0.0.1 localhost\n');
  await writeFile(join(etc, 'ld.so.cache'), 'cache');
  await mkdir(join(etc, 'ssl', 'certs'), { recursive: true });
  await writeFile(join(etc, 'ssl', 'certs', 'ca.pem'), 'public roots\n');
  await mkdir(join(etc, 'ssl', 'private'));
  await writeFile(join(etc, 'ssl', 'private', 'host.key'), 'private key\n', { mode: 0o600 });
  await chmod(join(etc, 'ssl', 'private'), 0o700);
  await writeFile(join(etc, 'ssl', 'group-only.pem'), 'not for everyone\n', { mode: 0o640 });
  await chmod(join(etc, 'ssl', 'group-only.pem'), 0o640);
  // Leads out of the sandbox's view (/run): copied as what it names.
  await writeFile(join(etc, 'real-resolv'), 'nameserver 10.0.0.1\n');
  await symlink(join(etc, 'real-resolv'), join(etc, 'resolv.conf'));
  // Leads into /usr, which a sandbox shows: kept a link.
  await symlink('../usr/lib/os-release', join(etc, 'os-release'));
  // Not in the list: never copied.
  await writeFile(join(etc, 'shadow'), 'root:$6$secret\n', { mode: 0o644 });
  return etc;
}

describe("the sandbox's /etc", () => {
  it('copies the listed, world-readable entries and its own accounts, nothing else', async () => {
    const etc = await fakeEtc();
    const dir = prepareSandboxEtc(await tempDir('cache-'), etc);
    expect(readFileSync(join(dir, 'hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
    expect(readFileSync(join(dir, 'ssl', 'certs', 'ca.pem'), 'utf8')).toBe('public roots\n');
    expect(existsSync(join(dir, 'ssl', 'private'))).toBe(false);
    expect(existsSync(join(dir, 'ssl', 'group-only.pem'))).toBe(false);
    expect(existsSync(join(dir, 'shadow'))).toBe(false);
    expect(lstatSync(join(dir, 'resolv.conf')).isFile()).toBe(true);
    expect(readFileSync(join(dir, 'resolv.conf'), 'utf8')).toBe('nameserver 10.0.0.1\n');
    expect(readlinkSync(join(dir, 'os-release'))).toBe('../usr/lib/os-release');
    expect(readFileSync(join(dir, 'passwd'), 'utf8')).toMatch(/^root:x:0:0:/);
    expect(readFileSync(join(dir, 'passwd'), 'utf8')).not.toContain('secret');
    expect(lstatSync(dir).mode & 0o777).toBe(0o755);
  });

  it('is made once per content of the host entries, and again when they change', async () => {
    const etc = await fakeEtc();
    const cache = await tempDir('cache-');
    const first = prepareSandboxEtc(cache, etc);
    expect(prepareSandboxEtc(cache, etc)).toBe(first);
    await writeFile(join(etc, 'hosts'), '127.0.0.1 localhost changed\n');
    await utimes(join(etc, 'hosts'), new Date(), new Date(Date.now() + 5000));
    const second = prepareSandboxEtc(cache, etc);
    expect(second).not.toBe(first);
    expect(readFileSync(join(second, 'hosts'), 'utf8')).toContain('changed');
    // The copy running containers use stays as it was.
    expect(readFileSync(join(first, 'hosts'), 'utf8')).not.toContain('changed');
  });
});
