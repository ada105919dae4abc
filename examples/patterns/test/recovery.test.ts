import { expect, it } from 'vitest';
import { runExample } from './run-example.js';

it('restarts the crashing worker with a growing backoff, then ends the session', async () => {
  const stdout = await runExample('recovery');
  expect(stdout.split('\n')).toEqual([
    '[    0 ms] web is healthy',
    '[    0 ms] worker is healthy',
    '[ 3000 ms] worker died (exit code 7)',
    '[ 3000 ms] worker: restart attempt 1 in 1000 ms',
    '[ 4000 ms] worker restarted (attempt 1)',
    '[ 4000 ms] worker is healthy',
    '[ 7000 ms] worker died (exit code 7)',
    '[ 7000 ms] worker: restart attempt 2 in 2000 ms',
    '[ 9000 ms] worker restarted (attempt 2)',
    '[ 9000 ms] worker is healthy',
    '[12000 ms] worker died (exit code 7)',
    '[12000 ms] worker: restart attempt 3 in 4000 ms',
    '[16000 ms] worker restarted (attempt 3)',
    '[16000 ms] worker is healthy',
    '[19000 ms] worker died (exit code 7)',
    '[19000 ms] worker FAILED: worker died (exit code 7) and has used up its restart budget (3 attempts within 60000 ms)',
    '[19000 ms] onFailed(worker): ending the session',
    'session jobs ended: 2 containers removed',
    '',
  ]);
});
