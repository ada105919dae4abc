/**
 * Multi-container orchestration: one network for the session, a volume two services
 * share, a private one, and a service that waits for another's health check. On the local
 * driver (no Docker needed): `node src/orchestration.ts`.
 */
import { LocalDriver } from '@berth/driver-local';
import { SessionEvents, SessionManager } from '@berth/session';

const driver = new LocalDriver();
const events = new SessionEvents();
for (const name of ['container:started', 'container:ready'] as const) {
  const verb = name.slice('container:'.length).padEnd(7);
  events.on(name, (e) => console.log(`${verb} ${e.service}`));
}
const manager = new SessionManager(driver, { events });

const session = await manager.start({
  services: {
    db: {
      config: {
        image: 'local',
        command: ['sh', '-c', 'echo ready > /shared/db-ready; echo db > /private/owner; sleep 600'],
        healthcheck: {
          command: ['sh', '-c', 'test -f /shared/db-ready'],
          intervalMs: 200,
          retries: 25,
        },
        volumes: [
          { source: 'shared', target: '/shared' },
          { source: 'db-private', target: '/private' },
        ],
        network: 'backend',
      },
    },
    api: {
      config: {
        image: 'local',
        command: ['sh', '-c', 'echo "api sees: $(cat /shared/db-ready)"; sleep 600'],
        volumes: [{ source: 'shared', target: '/shared', readOnly: true }],
        network: 'backend',
      },
      dependsOn: ['db'],
    },
  },
  volumes: { shared: {}, 'db-private': {} },
  networks: { backend: {} },
});

console.log(`network ${session.networks.join(', ')}`);
console.log(`volumes ${session.volumes.join(', ')}`);
// The api wrote its line as it started; give its output a moment to reach the log.
let logs = '';
for (let i = 0; i < 50 && !logs; i++) {
  logs = await driver.getContainerLogs(session.containerOf('api'));
  if (!logs) await new Promise((r) => setTimeout(r, 50));
}
console.log(logs.trim());
await session.end();
console.log(
  `ended: ${(await driver.listContainers({ sessionId: session.id })).length} containers left`,
);
await driver.close();
