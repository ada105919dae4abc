import { expect, it } from 'vitest';
import { runExample } from './run-example.js';

it('sessions per user, attached from elsewhere, ended on demand and when idle', async () => {
  const out = (await runExample('sessions')).split('\n').filter(Boolean);
  expect(out).toEqual([
    'started user-alice: shell',
    'started user-bob: shell',
    'attached user-bob: shell',
    'ended   user-bob (ended)',
    "bob's containers left: 0",
    'alice after activity: running',
    'ended   user-alice (idle)',
    'alice after 2 s idle: idle',
    "alice's containers left: 0",
  ]);
});
