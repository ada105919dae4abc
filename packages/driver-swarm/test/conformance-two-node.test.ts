import { describeDriverConformance } from '@berth/testkit';
import { SwarmDriver } from '../src/index.js';
import { CONFORMANCE } from './support/conformance-options.js';
import { clusterOptions, describeSwarm } from './support/swarm.js';

// Spread over both nodes, so every group runs on the worker as much as on the manager.
const spread = { placement: { spread: ['node.id'] } };

describeSwarm('Swarm driver against the Berth contract, on a two-node swarm', 'twoNode', () => {
  describeDriverConformance(
    'swarm (two nodes)',
    () => new SwarmDriver({ ...clusterOptions('twoNode'), enforcement: 'best-effort' }),
    {
      ...CONFORMANCE,
      baseConfig: spread,
      createWeakDriver: (enforcement) =>
        new SwarmDriver({ ...clusterOptions('twoNode'), enforcement }),
    },
  );
});
