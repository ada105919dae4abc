import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { makeDriver, tempDir } from './helpers.js';

const FILE = 'host-fingerprint.json';

it('keeps the host fingerprint in the state directory, and trusts it only while it holds', async () => {
  const stateDir = await tempDir('fingerprint-');
  const first = await (await makeDriver({ stateDir, warmSandboxes: 0 })).hostFingerprint();
  const stored = JSON.parse(readFileSync(join(stateDir, FILE), 'utf8'));
  expect(stored.fingerprint.bubblewrap).toEqual(first.bubblewrap);

  // A kept answer is used as it is: marked, the next driver reports the mark.
  stored.fingerprint.bubblewrap.reason = 'kept';
  writeFileSync(join(stateDir, FILE), JSON.stringify(stored), { mode: 0o600 });
  const kept = await (await makeDriver({ stateDir, warmSandboxes: 0 })).hostFingerprint();
  expect(kept.bubblewrap.reason).toBe('kept');

  // One anybody could have written is not trusted: isolation claims come from it.
  chmodSync(join(stateDir, FILE), 0o666);
  const open = await (await makeDriver({ stateDir, warmSandboxes: 0 })).hostFingerprint();
  expect(open.bubblewrap.reason, 'probed again').toBe(first.bubblewrap.reason);

  // Other settings, another answer: the kept one is for the settings it was made with.
  stored.fingerprint.setpriv.reason = 'kept';
  writeFileSync(join(stateDir, FILE), JSON.stringify(stored), { mode: 0o600 });
  chmodSync(join(stateDir, FILE), 0o600);
  const other = await (
    await makeDriver({ stateDir, warmSandboxes: 0, isolation: { bubblewrap: false } })
  ).hostFingerprint();
  expect(other.setpriv.reason).not.toBe('kept');
  expect(other.bubblewrap.works).toBe(false);

  // A tool replaced since (another inode, size or mtime) is probed again.
  const again = JSON.parse(readFileSync(join(stateDir, FILE), 'utf8'));
  const [tool] = Object.keys(again.tools);
  again.tools[tool as string] = 'replaced';
  again.fingerprint.setpriv.reason = 'kept';
  writeFileSync(join(stateDir, FILE), JSON.stringify(again), { mode: 0o600 });
  const replaced = await (
    await makeDriver({ stateDir, warmSandboxes: 0, isolation: { bubblewrap: false } })
  ).hostFingerprint();
  expect(replaced.setpriv.reason).not.toBe('kept');
});
