/**
 * Event-driven recovery: the HealthMonitor reports a container dead, Recovery starts
 * it again with a growing backoff, and once its restart budget is spent the service is declared
 * failed and the session ended. Runs on the mock driver with fake time, so every run prints the
 * same: a `worker` that crashes 2.5 s after every start, next to a `web` that stays up.
 */
import { ManualClock, MockDockerDriver } from '@berth/driver-mock';
import { HealthMonitor, Recovery, SERVICE_LABEL } from '@berth/session';

const SESSION = 'jobs';
const clock = new ManualClock();
const driver = new MockDockerDriver({ clock });

for (const [service, script] of [
  ['web', 'sleep 3600'],
  ['worker', 'sleep 2.5; exit 7'],
]) {
  const container = await driver.createContainer({
    sessionId: SESSION,
    image: 'busybox',
    command: ['sh', '-c', script as string],
    labels: { [SERVICE_LABEL]: service as string },
  });
  await driver.startContainer(container.id);
}

const monitor = new HealthMonitor(driver, { sessionId: SESSION, intervalMs: 1000, clock });
let ended = false;
const recovery = new Recovery(driver, {
  events: monitor.events,
  clock,
  backoff: { initialMs: 1000, factor: 2, maxMs: 30_000 },
  budget: { restarts: 3, windowMs: 60_000 },
  onFailed: (failure) => {
    console.log(`${when(failure.at)} onFailed(${failure.service}): ending the session`);
    return 'end-session';
  },
  // What a SessionManager does: stop watching, then remove what the session made.
  endSession: async (sessionId) => {
    await monitor.stop();
    await recovery.stop();
    const removed = await driver.cleanup({ sessionId });
    console.log(`session ${sessionId} ended: ${removed.containers} containers removed`);
    ended = true;
  },
});

function when(at: Date): string {
  return `[${String(at.getTime()).padStart(5)} ms]`;
}

const { events } = monitor;
const log = (at: Date, text: string) => console.log(`${when(at)} ${text}`);
events.on('container:healthy', (e) => log(e.at, `${e.service} is healthy`));
events.on('container:died', (e) => log(e.at, `${e.service} died (exit code ${e.exitCode})`));
events.on('container:restarting', (e) =>
  log(e.at, `${e.service}: restart attempt ${e.attempt} in ${e.delayMs} ms`),
);
events.on('container:restarted', (e) => log(e.at, `${e.service} restarted (attempt ${e.attempt})`));
events.on('service:failed', (e) => log(e.at, `${e.service} FAILED: ${e.reason}`));

recovery.start();
monitor.start();
// Fake time moves only when told to: a second at a time until the session has ended.
for (let second = 0; !ended && second < 120; second++) await clock.advance(1000);
await driver.close();
