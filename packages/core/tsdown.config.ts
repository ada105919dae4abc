import { packageBuild } from '../../tsdown.base.ts';

// Two entries: the contract (what users import) and the kit (what driver authors import).
// zod is bundled into the JavaScript: loaded as ~100 modules it took ~55 ms of every process's
// start, one file takes ~10. Its types stay an import of the `zod` package, so schemas keep
// zod's own types for users who use zod too.
export default packageBuild({
  entry: { index: 'src/index.ts', 'kit/index': 'src/kit/index.ts' },
  deps: { alwaysBundle: ['zod'], dts: { neverBundle: ['zod'] } },
});
