import { packageBuild } from '../../tsdown.base.ts';

// The contract (what users import), the kit (what driver authors import), and the Node.js
// version check every Berth package runs first (through its src/node-guard.ts).
// zod is bundled into the JavaScript: loaded as ~100 modules it took ~55 ms of every process's
// start, one file takes ~10. Its types stay an import of the `zod` package, so schemas keep
// zod's own types for users who use zod too.
export default packageBuild({
  entry: {
    index: 'src/index.ts',
    'kit/index': 'src/kit/index.ts',
    'node-check': 'src/node-check.ts',
  },
  deps: { alwaysBundle: ['zod'], onlyBundle: ['zod'], dts: { neverBundle: ['zod'] } },
});
