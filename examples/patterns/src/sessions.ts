/**
 * Session-based management: a session per user, found again by its id from another
 * manager (as a second process would), kept alive with touch(), and ended by its idle timeout.
 * On the local driver: `node src/sessions.ts`.
 */
import { LocalDriver } from '@berth/driver-local';
import { SessionEvents, SessionManager } from '@berth/session';

const driver = new LocalDriver();
const events = new SessionEvents();
events.on('session:started', (e) =>
  console.log(`started ${e.sessionId}: ${e.services.join(', ')}`),
);
events.on('session:ended', (e) => console.log(`ended   ${e.sessionId} (${e.reason})`));
const manager = new SessionManager(driver, { events });

const workspace = { image: 'local', command: ['sh', '-c', 'sleep 600'] };
const alice = await manager.start({
  id: 'user-alice',
  services: { shell: { config: workspace } },
  idleMs: 600,
});
const bob = await manager.start({ id: 'user-bob', services: { shell: { config: workspace } } });

// Another manager (another process, in real life) finds bob's session by its id and ends it.
const elsewhere = new SessionManager(driver, { events });
const found = await elsewhere.attach('user-bob');
console.log(`attached ${found.id}: ${Object.keys(found.services).join(', ')}`);
await found.end();
console.log(
  `bob's containers left: ${(await driver.listContainers({ sessionId: bob.id })).length}`,
);

// Alice keeps working for a while, then stops: her session ends by itself once idle.
for (let i = 0; i < 3; i++) {
  await new Promise((r) => setTimeout(r, 200));
  alice.touch();
}
console.log(`alice after activity: ${alice.ended ?? 'running'}`);
await new Promise((r) => setTimeout(r, 2000));
console.log(`alice after 2 s idle: ${alice.ended ?? 'running'}`);
console.log(
  `alice's containers left: ${(await driver.listContainers({ sessionId: alice.id })).length}`,
);
await driver.close();
