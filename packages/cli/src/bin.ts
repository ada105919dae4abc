#!/usr/bin/env node
// First: on an older Node.js this import throws the one clear error (see node-guard.ts).
import './node-guard.js';
import module from 'node:module';

// Node's on-disk compile cache (Node 22.1+): later runs skip compiling the CLI and its
// dependencies, which is most of a short command's start-up time.
module.enableCompileCache?.();

// Imported only now, so that the cache applies to the CLI's own modules too.
const { runCli } = await import('./cli.js');
const { Interrupted } = await import('./errors/cli-errors.js');

const controller = new AbortController();
let interrupts = 0;
function onSignal(signal: 'SIGINT' | 'SIGTERM'): void {
  interrupts++;
  // The first asks the command to wind down (run stops and removes its container); a second
  // Ctrl-C means now.
  if (interrupts > 1) process.exit(signal === 'SIGTERM' ? 143 : 130);
  controller.abort(new Interrupted(signal));
}
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));

// runCli reports every failure itself; these catch what escapes a driver's background work,
// so that even then the user sees one line rather than Node's crash report.
const debug = process.argv.includes('--debug');
function fatal(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`berth: internal error: ${message.split('\n')[0]}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
// Writes after the reader of a pipe left (`berth ps | head -1`) are not failures.
process.stdout.on('error', () => undefined);

process.exitCode = await runCli(process.argv.slice(2), { signal: controller.signal });
