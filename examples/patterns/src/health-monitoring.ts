/**
 * Health monitoring: a HealthMonitor watches a session's containers and its driver,
 * and reports changes only. Runs on the mock driver with fake time, so every run prints the
 * same: an `api` whose health check passes, fails for a while, and passes again, then a short
 * outage of the driver itself.
 */
import { ManualClock, MockDockerDriver } from '@berth/driver-mock';
import { HealthMonitor, SERVICE_LABEL } from '@berth/session';

const clock = new ManualClock();
// The `api:1` image's health probes, one a second: pass, pass, fail, fail, then pass on.
const driver = new MockDockerDriver({
  clock,
  programs: { images: { 'api:1': { health: [true, true, false, false, true] } } },
});

const api = await driver.createContainer({
  sessionId: 'shop',
  image: 'api:1',
  labels: { [SERVICE_LABEL]: 'api' },
  healthcheck: { command: ['true'], intervalMs: 1000, retries: 1 },
});
await driver.startContainer(api.id);

const monitor = new HealthMonitor(driver, {
  sessionId: 'shop',
  intervalMs: 1000,
  clock,
  // Where a pager would go: called for unhealthy, died and driver-unhealthy only.
  onAlert: (alert) => console.log(`           ALERT ${alert.type}`),
});

const when = (at: Date) => `[${String(at.getTime()).padStart(5)} ms]`;
const watched = [
  'driver:healthy',
  'driver:unhealthy',
  'container:healthy',
  'container:unhealthy',
  'container:died',
] as const;
for (const name of watched) {
  monitor.events.on(name, (event) => {
    const who = 'service' in event ? ` ${event.service}` : ` ${event.driver}`;
    const why = 'error' in event && event.error ? ` (${event.error})` : '';
    console.log(`${when(event.at)} ${name}${who}${why}`);
  });
}

// Rounds half-way between probes, so each round sees the probe just before it.
await clock.advance(500);
monitor.start();
await clock.advance(6000);

console.log('-- the driver goes down for two rounds');
driver.faults.down();
await clock.advance(2000);
driver.faults.up();
await clock.advance(2000);

await monitor.stop();
await driver.removeContainer(api.id, { force: true });
await driver.close();
console.log('monitor stopped');
