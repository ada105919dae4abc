import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG } from '../src/commands/catalog.js';
import { ExitCode } from '../src/errors/exit-codes.js';
import { baseEnv, tempDir } from './support/berth.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

let state: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  state = await tempDir();
});
afterAll(async () => {
  await state.remove();
});

describe('the README', () => {
  it('lists exactly the exit codes the CLI uses', () => {
    const table = [...readme.matchAll(/^\| (\d+) +\|/gm)].map((m) => Number(m[1]));
    expect(table.sort((a, b) => a - b)).toEqual(Object.values(ExitCode).sort((a, b) => a - b));
  });

  it('shows every command with an example', () => {
    for (const { spec } of CATALOG) {
      if (spec.name === 'help') continue;
      expect(readme).toMatch(new RegExp(`^### .*\`${spec.name}\``, 'm'));
      expect(readme).toMatch(new RegExp(`^berth ${spec.name} `, 'm'));
    }
  });

  it("first sh snippet's berth command runs as it says (the build step is the test's own)", async () => {
    const [first] = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const commands = (first ?? '').split('\n').filter((line) => line.startsWith('node '));
    expect(commands).toHaveLength(1);
    const { stdout } = await promisify(execFile)('bash', ['-c', commands[0] as string], {
      cwd: repoRoot,
      env: baseEnv({ BERTH_STATE_DIR: state.path }),
    });
    expect(stdout).toMatch(/^hello from \S+\nexit code: 3\n$/);
  });
});
