import { packageBuild } from '../../tsdown.base.ts';

export default packageBuild({
  // The supervisor's program is its own entry: it runs as a separate process, not as part of
  // the API. Named, so that it lands next to index.js, where the supervisor pool looks for it.
  entry: {
    index: 'src/index.ts',
    'supervisor-process': 'src/supervisor/supervisor-process.ts',
    // The lifetime keeper's program, found the same way by lifetime/lifetimes.ts.
    'keeper-process': 'src/lifetime/keeper-process.ts',
  },
});
