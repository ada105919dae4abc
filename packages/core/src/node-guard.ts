/*
 * Imported first by each entry of @berth/core: on an older Node.js the import stops here with one
 * message naming the package, before a dependency fails in its own way. Every package has a file
 * like this one (the check itself lives once, in node-check.ts, exported as
 * @berth/core/node-check); package.json `sideEffects` names its build, so no bundler drops it.
 */
import { assertSupportedNode } from './node-check.js';

assertSupportedNode('@berth/core');
