import { describeDriverConformance } from '@berth/testkit';
import { SwarmDriver } from '../src/index.js';
import { CONFORMANCE } from './support/conformance-options.js';
import { clusterOptions, describeSwarm } from './support/swarm.js';

describeSwarm('Swarm driver against the Berth contract, on a one-node swarm', 'solo', () => {
  describeDriverConformance(
    'swarm (one node)',
    () => new SwarmDriver({ ...clusterOptions('solo'), enforcement: 'best-effort' }),
    {
      ...CONFORMANCE,
      createWeakDriver: (enforcement) =>
        new SwarmDriver({ ...clusterOptions('solo'), enforcement }),
    },
  );
});
