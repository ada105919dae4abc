import { describeDriverConformance } from '@berth/testkit';
import { DockerDriver } from '../src/index.js';
import { describeEngine, IMAGE } from './support/engine.js';

describeEngine('Docker driver against the Berth contract', () => {
  describeDriverConformance('docker', () => new DockerDriver(), {
    image: IMAGE,
    // This engine cannot limit disk (overlay2 on ext4), so a real best-effort DockerDriver is the
    // weak driver the capability-honesty group needs; no stub is involved.
    createWeakDriver: (enforcement) => new DockerDriver({ enforcement }),
    timeoutMs: 60_000,
  });
});
