import { packageBuild } from '../../tsdown.base.ts';

// Two entries: the library (runCli, for embedding and tests) and the `berth` executable.
// Commands are loaded with dynamic import(), so each lands in a chunk of its own and
// `berth version` never loads what `berth run` needs.
export default packageBuild({ entry: ['src/index.ts', 'src/bin.ts'] });
