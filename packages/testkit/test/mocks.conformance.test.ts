import { MockDockerDriver, MockLocalDriver } from '@berth/driver-mock';
import { describeDriverConformance } from '../src/index.js';

const weakHost = { disk: false, readOnlyRootfs: false };
const skip = { security: 'in-memory mock: no processes to isolate' };

describeDriverConformance('mock-docker', () => new MockDockerDriver(), {
  image: 'berth-test/busybox:latest',
  createWeakDriver: (enforcement) => new MockDockerDriver({ enforcement, capabilities: weakHost }),
  skip,
});

describeDriverConformance('mock-local', () => new MockLocalDriver(), {
  image: 'host',
  createWeakDriver: (enforcement) => new MockLocalDriver({ enforcement, capabilities: weakHost }),
  skip,
});
