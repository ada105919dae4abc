#!/usr/bin/env node
/*
 * Runs a test command (the README's `pnpm test`: turbo over every package's vitest and the
 * consumer check), streaming its output as it comes, and ends with one total line over every
 * vitest summary it printed: `1234 passed, 0 failed, 5 skipped`. The command's exit status
 * passes through.
 *
 * It also fails the run when the tests leave anything named berth-* in the temp directory
 * (os.tmpdir(), so TMPDIR where set) that was not there before: a test's own temp directory, or
 * one the code under test made. Another process using the same temp directory at the same time
 * can make entries too; a run with a temp directory of its own (TMPDIR=...) rules that out.
 *
 *   node scripts/test-summary.mjs <command> [args...]
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/test-summary.mjs <command> [args...]');
  process.exit(2);
}

const temp = tmpdir();
const berthEntries = () => new Set(readdirSync(temp).filter((name) => name.startsWith('berth-')));
const before = berthEntries();

const totals = { passed: 0, failed: 0, skipped: 0 };
// vitest's summary line, after turbo's `pkg:test: ` prefix: `Tests  12 passed | 1 failed (13)`.
const summary = /\bTests\s+(\d+ [a-z]+(?: \| \d+ [a-z]+)*) \(\d+\)/;
// Escape sequences for colour, which vitest and turbo may print.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ESC is the point
const ansi = /\x1b\[[0-9;]*[A-Za-z]/g;

function count(line) {
  const found = summary.exec(line.replace(ansi, ''));
  if (!found) return;
  for (const part of found[1].split(' | ')) {
    const [n, what] = part.split(' ');
    // `todo` counts as skipped: neither ran.
    const key = what === 'todo' ? 'skipped' : what;
    if (key in totals) totals[key] += Number(n);
  }
}

/** Passes a stream through unchanged, and counts the summary lines in it. */
function tee(from, to) {
  let pending = '';
  from.on('data', (chunk) => {
    to.write(chunk);
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) count(line);
  });
  from.on('end', () => count(pending));
}

const child = spawn(command, args, { stdio: ['inherit', 'pipe', 'pipe'] });
tee(child.stdout, process.stdout);
tee(child.stderr, process.stderr);

// Ctrl-C reaches the whole process group, the command too: this waits for its end, so what ran
// is still counted. A signal sent to this process alone is passed on.
process.on('SIGINT', () => {});
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));

const status = await new Promise((resolve) => {
  child.on('error', (error) => {
    console.error(`test-summary: could not run ${command}: ${error.message}`);
    resolve(127);
  });
  child.on('close', (code, signal) =>
    resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)),
  );
});

const left = [...berthEntries()].filter((name) => !before.has(name)).sort();
if (left.length > 0) {
  console.error(
    `test-summary: the tests left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in ${temp}: ${left.join(', ')}`,
  );
}

const { passed, failed, skipped } = totals;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(status !== 0 ? status : left.length > 0 ? 1 : 0);
