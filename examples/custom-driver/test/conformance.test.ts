import { createMemoryDriver } from '@berth/example-custom-driver';
import { describeDriverConformance } from '@berth/testkit';

// Probes of the security group written for a real shell and a real host: `for`, `read`, `kill`,
// /proc, host files. This driver's shell has six builtins and nothing of the host to reach.
const NO_HOST = 'in-memory: the probe needs a full shell and processes, and there is no host here';

describeDriverConformance('memory', () => createMemoryDriver(), {
  // Nothing is pulled: the image is only recorded on the instance.
  image: 'memory/none',
  // This driver publishes no ports, so a strict one refuses them and a best-effort one lists
  // them: that is all the capability-honesty group needs.
  createWeakDriver: (enforcement) => createMemoryDriver({ enforcement }),
  // The rest of the security group runs: 'root is refused' applies to any driver, and the
  // tests needing options or isolated networks skip themselves, saying why.
  skipTests: {
    "a container cannot see or signal another container's processes": NO_HOST,
    "a container cannot read another container's files": NO_HOST,
    "a container cannot read the host's files": NO_HOST,
  },
  teardown: (driver) => driver.close(),
});
