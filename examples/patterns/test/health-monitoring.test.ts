import { expect, it } from 'vitest';
import { runExample } from './run-example.js';

it('prints each health transition once, with alerts for the bad ones', async () => {
  const stdout = await runExample('health-monitoring');
  expect(stdout.split('\n')).toEqual([
    '[  500 ms] driver:healthy mock-docker',
    '[  500 ms] container:healthy api',
    '[ 2500 ms] container:unhealthy api',
    '           ALERT container:unhealthy',
    '[ 4500 ms] container:healthy api',
    '-- the driver goes down for two rounds',
    '[ 7500 ms] driver:unhealthy mock-docker (healthCheck failed: mock-docker is down (fault injection): healthCheck failed)',
    '           ALERT driver:unhealthy',
    '[ 9500 ms] driver:healthy mock-docker',
    'monitor stopped',
    '',
  ]);
});
