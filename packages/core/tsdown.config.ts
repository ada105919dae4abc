import { packageBuild } from '../../tsdown.base.ts';

// Two entries: the contract (what users import) and the kit (what driver authors import).
export default packageBuild({ entry: { index: 'src/index.ts', 'kit/index': 'src/kit/index.ts' } });
