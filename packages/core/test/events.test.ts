import { describe, expect, it } from 'vitest';
import { BerthEvents } from '../src/index.js';

const payload = (containerId: string) => ({ driver: 'd', at: new Date(), containerId });

describe('BerthEvents', () => {
  it('on returns an unsubscribe; off and once work', () => {
    const events = new BerthEvents();
    const seen: string[] = [];
    const off = events.on('container:started', (e) => seen.push(`on:${e.containerId}`));
    events.once('container:started', (e) => seen.push(`once:${e.containerId}`));
    events.emit('container:started', payload('a'));
    off();
    events.emit('container:started', payload('b'));
    expect(seen).toEqual(['on:a', 'once:a']);
    expect(events.listenerCount('container:started')).toBe(0);
  });

  it('waitFor resolves with the next matching event and honours abort', async () => {
    const events = new BerthEvents();
    const waiting = events.waitFor('container:stopped', { filter: (e) => e.containerId === 'b' });
    events.emit('container:stopped', payload('a'));
    events.emit('container:stopped', payload('b'));
    expect((await waiting).containerId).toBe('b');
    expect(events.listenerCount('container:stopped')).toBe(0);

    const controller = new AbortController();
    const aborted = events.waitFor('container:stopped', { signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    expect(events.listenerCount('container:stopped')).toBe(0);
  });
});
