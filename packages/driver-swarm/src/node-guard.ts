/*
 * Imported first by @berth/driver-swarm's entry: on an older Node.js the import stops here with one
 * message naming the package, before a dependency fails in its own way (the check is
 * @berth/core's). package.json `sideEffects` names its build, so no bundler drops it.
 */
import { assertSupportedNode } from '@berth/core/node-check';

assertSupportedNode('@berth/driver-swarm');
