// The baseline: Node spawning the very sandbox command line the driver builds, collecting its
// output, in a fresh process.
import { spawn } from 'node:child_process';
import { report } from './report.mjs';

const { argv, env, cwd } = JSON.parse(process.env.BENCH_COMMAND);
const [file, ...args] = argv;
const out = await new Promise((resolve, reject) => {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
  let text = '';
  child.stdout.on('data', (d) => {
    text += d;
  });
  child.stderr.on('data', (d) => {
    text += d;
  });
  child.once('error', reject);
  child.once('close', () => resolve(text));
});
if (!out.includes('hello') || !out.includes('world')) throw new Error(`unexpected: ${out}`);
report();
