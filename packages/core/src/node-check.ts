/*
 * @berth/core/node-check: the Node.js version check every Berth package runs first when it is
 * imported. On an older Node a package would otherwise fail somewhere inside a dependency (execa
 * calls Set.prototype.union, which Node 22 added) with that dependency's stack trace, or worse,
 * load and misbehave later. This module is imported before anything else of a package, so it must
 * itself run on any Node that can load an ES module: no imports, nothing newer than ES2020.
 *
 * ESM parses and links a package's whole static import graph before it runs any of it, so the
 * check only gets to speak if every module in that graph parses on the older Node (a syntax error
 * anywhere would come first). scripts/release-check.mjs holds the packed packages to that on the
 * machine's Node 20.
 */

/** The oldest Node.js major Berth runs on; `engines.node` of every package says the same. */
export const MINIMUM_NODE_MAJOR = 22;

/** Thrown on import of a Berth package under a Node.js older than MINIMUM_NODE_MAJOR. */
export class UnsupportedNodeError extends Error {
  // Nothing but the message on the instance: printed uncaught, the error is that one line.
  constructor(packageName: string, nodeVersion: string) {
    super(
      `${packageName} needs Node.js ${MINIMUM_NODE_MAJOR} or later (this is Node.js ${nodeVersion}): upgrade Node.js to use it`,
    );
  }
}
// On the prototype, not the instance, for the same reason.
UnsupportedNodeError.prototype.name = 'UnsupportedNodeError';

/**
 * Why `packageName` cannot run on Node.js `version`, or undefined when it can. Outside Node (no
 * `process.versions.node`) there is nothing to say: another runtime reports its own problems.
 */
export function unsupportedNodeProblem(
  packageName: string,
  version: string | undefined = globalThis.process?.versions?.node,
): UnsupportedNodeError | undefined {
  if (typeof version !== 'string') return undefined;
  const major = Number.parseInt(version, 10);
  if (!Number.isFinite(major) || major >= MINIMUM_NODE_MAJOR) return undefined;
  // No stack: the message is the whole story, and an uncaught import error then prints as that
  // one line rather than frames of Node's module loader.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new UnsupportedNodeError(packageName, version);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Throws UnsupportedNodeError when this Node.js is older than MINIMUM_NODE_MAJOR. */
export function assertSupportedNode(packageName: string): void {
  const problem = unsupportedNodeProblem(packageName);
  if (problem) throw problem;
}
