import { expect, it } from 'vitest';
import { runExample } from './run-example.js';

it('orchestration: services start in order, share a volume, on one network, and end whole', async () => {
  const out = (await runExample('orchestration')).split('\n');
  // The db is ready before the api starts; the api reads what the db wrote.
  expect(out.slice(0, 4)).toEqual(['started db', 'ready   db', 'started api', 'ready   api']);
  expect(out[4]).toMatch(/^network session-[0-9a-f]+-backend$/);
  expect(out[5]).toMatch(/^volumes session-[0-9a-f]+-shared, session-[0-9a-f]+-db-private$/);
  expect(out[6]).toBe('api sees: ready');
  expect(out[7]).toBe('ended: 0 containers left');
});
