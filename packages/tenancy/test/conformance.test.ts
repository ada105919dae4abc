import { MockDockerDriver } from '@berth/driver-mock';
import { describeDriverConformance } from '@berth/testkit';
import { forTenant } from '../src/index.js';

// The suite stamps a tenant of its own choosing: a view refuses that by design.
const otherTenant =
  'the suite creates for a tenant of its own; a tenant view refuses another tenant';

describeDriverConformance('tenant view', () => forTenant(new MockDockerDriver(), 't1'), {
  image: 'berth-test/busybox:latest',
  createWeakDriver: (enforcement) =>
    forTenant(
      new MockDockerDriver({ enforcement, capabilities: { disk: false, readOnlyRootfs: false } }),
      't1',
    ),
  skip: { security: 'in-memory mock: no processes to isolate' },
  skipTests: {
    'a volume carries the berth label vocabulary: managed, driver, session, tenant': otherTenant,
    'a network carries the berth label vocabulary: managed, driver, session, tenant': otherTenant,
  },
});
