import { describe, expect, it } from 'vitest';
import { eventually, poll } from '../src/support.js';

describe('the suite’s polling waits', () => {
  it('return what they saw once it holds', async () => {
    let n = 0;
    const seen = await eventually(
      'n to reach 3',
      async () => ++n,
      (v) => v >= 3,
      { everyMs: 1 },
    );
    expect(seen).toBe(3);
  });

  it('give up at the deadline naming what they waited for and what they saw last', async () => {
    const started = Date.now();
    const failure = await eventually(
      'the status to be stopped',
      async () => ({ status: 'running', health: 'starting' }),
      (v) => v.status === 'stopped',
      { timeoutMs: 200, everyMs: 20 },
    ).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(String(failure)).toBe(
      'Error: the status to be stopped: not within 0.2 s; last seen {"status":"running","health":"starting"}',
    );
  });

  it('show the end of a long text, where logs have the news', async () => {
    const logs = `${'x'.repeat(1000)}\nthe line that says why`;
    const failure = await eventually(
      'a ready line',
      async () => logs,
      (v) => v.includes('ready!'),
      {
        timeoutMs: 50,
        everyMs: 10,
      },
    ).catch((e: unknown) => String(e));
    expect(failure).toMatch(/the line that says why"$/);
    expect((failure as string).length).toBeLessThan(400);
  });

  it('poll reports a miss with the last value instead of throwing', async () => {
    const result = await poll(
      async () => 7,
      (v) => v > 10,
      { timeoutMs: 50, everyMs: 10 },
    );
    expect(result).toEqual({ ok: false, last: 7 });
  });
});
