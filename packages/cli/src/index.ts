// First: on an older Node.js this import throws the one clear error (see node-guard.ts).
import './node-guard.js';

/**
 * @berth/cli as a library: run the `berth` command line in-process (for embedding it in
 * another tool, or testing it) with your own streams, environment and interrupt signal.
 */
export { type CliIo, runCli } from './cli.js';
export { Interrupted } from './errors/cli-errors.js';
export { ExitCode } from './errors/exit-codes.js';
export type { OutputStream } from './output/output.js';
export type { InputStream } from './runtime/context.js';
