import { packageBuild } from '../../tsdown.base.ts';

// The keeper's program is its own entry, next to index.js, where lifetimes.ts looks for it.
export default packageBuild({
  entry: {
    index: 'src/index.ts',
    'engine-api': 'src/engine-api.ts',
    'keeper-process': 'src/lifetime/keeper-process.ts',
  },
});
