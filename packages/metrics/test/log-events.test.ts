import { BerthEvents, ConfigurationError, withEvents, wrapDriver } from '@berth/core';
import { MockDockerDriver } from '@berth/driver-mock';
import { SessionEvents } from '@berth/session';
import { describe, expect, it } from 'vitest';
import { type EventLogger, logEvents } from '../src/index.js';

interface Entry {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

function fakeLogger(): EventLogger & { entries: Entry[] } {
  const entries: Entry[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    entries.push({ level, fields, message });
  };
  return { entries, info: at('info'), warn: at('warn'), error: at('error') };
}

describe('logEvents', () => {
  it('logs driver events with session, tenant and container ids', async () => {
    const events = new BerthEvents();
    const logger = fakeLogger();
    logEvents(events, logger);
    const driver = wrapDriver(new MockDockerDriver(), withEvents(events));
    const c = await driver.createContainer({ sessionId: 's1', tenantId: 't1', image: 'x' });
    await driver.startContainer(c.id);
    await driver.removeContainer(c.id, { force: true });

    expect(logger.entries.map((e) => `${e.level} ${e.message}`)).toEqual([
      'info berth container:created',
      'info berth container:started',
      'info berth container:removed',
    ]);
    for (const { fields } of logger.entries) {
      expect(fields).toMatchObject({
        driver: 'mock-docker',
        containerId: c.id,
        sessionId: 's1',
        tenantId: 't1',
      });
      expect(typeof fields.at).toBe('string');
    }
    // The instance is reduced to ids, not logged whole.
    expect(logger.entries[0]?.fields).not.toHaveProperty('container');
  });

  it('logs session events at their level', () => {
    const events = new SessionEvents();
    const logger = fakeLogger();
    logEvents(events, logger);
    const base = { at: new Date(0), driver: 'mock-docker', sessionId: 's1' };
    events.emit('container:ready', { ...base, service: 'db', containerId: 'c1' });
    events.emit('service:failed', {
      ...base,
      service: 'db',
      containerId: 'c1',
      restarts: 3,
      reason: 'crash loop',
    });
    events.emit('session:ended', { ...base, reason: 'failed' });
    events.emit('session:rolled-back', { ...base, cause: new Error('boom'), removed: ['c1'] });

    expect(logger.entries.map((e) => [e.level, e.fields.event])).toEqual([
      ['info', 'container:ready'],
      ['error', 'service:failed'],
      ['error', 'session:ended'],
      ['error', 'session:rolled-back'],
    ]);
    expect(logger.entries[1]?.fields).toMatchObject({
      sessionId: 's1',
      containerId: 'c1',
      service: 'db',
      restarts: 3,
      reason: 'crash loop',
    });
    expect(logger.entries[3]?.fields).toMatchObject({ error: 'boom', removed: ['c1'] });
  });

  it('stops logging once unsubscribed', () => {
    const events = new SessionEvents();
    const logger = fakeLogger();
    const off = logEvents(events, logger);
    off();
    events.emit('session:started', { at: new Date(), driver: 'd', sessionId: 's', services: [] });
    expect(logger.entries).toHaveLength(0);
    expect(events.listenerCount('session:started')).toBe(0);
  });

  it('refuses a logger without the three levels', () => {
    expect(() => logEvents(new BerthEvents(), { info() {} } as unknown as EventLogger)).toThrow(
      ConfigurationError,
    );
  });
});
