import { describe, expect, it } from 'vitest';
import { realClock } from '../src/index.js';

describe('realClock', () => {
  it('sleeps, and rejects with the reason as soon as the signal aborts', async () => {
    const started = Date.now();
    await realClock.sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const controller = new AbortController();
    const sleeping = realClock.sleep(10_000, controller.signal);
    controller.abort(new Error('enough'));
    await expect(sleeping).rejects.toThrow('enough');
    await expect(realClock.sleep(5, AbortSignal.abort(new Error('early')))).rejects.toThrow(
      'early',
    );
  });
});
