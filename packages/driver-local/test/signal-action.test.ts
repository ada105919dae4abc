import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { takesDefaultAction } from '../src/host/process-identity.js';

it('tells a process that handles SIGTERM from one that takes its default action', async () => {
  const trapping = spawn('sh', ['-c', "trap 'exit 3' TERM; echo ready; while :; do sleep 1; done"]);
  const plain = spawn('sleep', ['30']);
  try {
    await new Promise((resolve) => trapping.stdout.once('data', resolve));
    expect(takesDefaultAction(trapping.pid as number, 15)).toBe(false);
    expect(takesDefaultAction(plain.pid as number, 15)).toBe(true);
    expect(takesDefaultAction(2 ** 22 + 7, 15)).toBeUndefined();
  } finally {
    trapping.kill('SIGKILL');
    plain.kill('SIGKILL');
  }
});
