import { packageBuild } from '../../tsdown.base.ts';

// The contract (what users import), the kit (what driver authors import), and the Node.js
// version check every Berth package runs first (through its src/node-guard.ts).
export default packageBuild({
  entry: {
    index: 'src/index.ts',
    'kit/index': 'src/kit/index.ts',
    'node-check': 'src/node-check.ts',
  },
});
