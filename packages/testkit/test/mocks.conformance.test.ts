import { MockDockerDriver, MockLocalDriver } from '@berth/driver-mock';
import { describeDriverConformance } from '../src/index.js';

const weakHost = { disk: false, readOnlyRootfs: false };

describeDriverConformance('mock-docker', () => new MockDockerDriver(), {
  image: 'berth-test/busybox:latest',
  createWeakDriver: (enforcement) => new MockDockerDriver({ enforcement, capabilities: weakHost }),
});

describeDriverConformance('mock-local', () => new MockLocalDriver(), {
  image: 'host',
  createWeakDriver: (enforcement) => new MockLocalDriver({ enforcement, capabilities: weakHost }),
});
