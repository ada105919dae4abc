import { describe, expect, it } from 'vitest';
import { runProgram } from '../src/shell.ts';

async function run(argv: string[], env: Record<string, string> = {}, signal?: AbortSignal) {
  let stdout = '';
  let stderr = '';
  const exitCode = await runProgram(argv, {
    env,
    cwd: '/work',
    signal: signal ?? new AbortController().signal,
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
  });
  return { exitCode, stdout, stderr };
}

const sh = (script: string, ...args: string[]) => ['sh', '-c', script, ...args];

describe('the in-memory shell', () => {
  it('runs the suite’s subset: echo with $VAR and >&2, exit, true, false, pwd', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template.
    const script = 'echo $A ${B}; echo oops >&2; pwd; false';
    expect(await run(sh(script), { A: 'a', B: 'b' })).toEqual({
      exitCode: 1,
      stdout: 'a b\n/work\n',
      stderr: 'oops\n',
    });
    expect(await run(sh('true; exit 7; echo never'))).toEqual({
      exitCode: 7,
      stdout: '',
      stderr: '',
    });
    expect((await run(sh('false; exit'))).exitCode).toBe(1);
  });

  it('quotes as sh does, and gives the script its positional arguments', async () => {
    const { stdout } = await run(sh(`echo "$0 said $1" '$1' "" $UNSET end`, 'me', 'hi'));
    expect(stdout).toBe('me said hi $1  end\n');
  });

  it('runs argv without a shell: metacharacters are plain words', async () => {
    expect((await run(['echo', 'a;', '$HOME', '>&2'])).stdout).toBe('a; $HOME >&2\n');
    expect((await run(['/bin/true'])).exitCode).toBe(0);
  });

  it('refuses what it cannot run, as sh would, instead of guessing', async () => {
    expect(await run(['ls', '-l'])).toMatchObject({ exitCode: 127, stderr: /ls: not found/ });
    expect(await run(sh('echo a | cat'))).toMatchObject({ exitCode: 2, stderr: /'\|'/ });
    expect(await run(sh("echo 'open"))).toMatchObject({ exitCode: 2, stderr: /unterminated/ });
    expect(await run(sh('exit x'))).toMatchObject({ exitCode: 2, stderr: /illegal number/ });
    expect(await run(['sleep', 'soon'])).toMatchObject({ exitCode: 1, stderr: /invalid time/ });
    expect((await run(['sh', 'script.sh'])).exitCode).toBe(2);
    expect((await run(['constructor'])).exitCode).toBe(127);
  });

  it('sleep ends at once when the signal aborts', async () => {
    const controller = new AbortController();
    const sleeping = run(['sleep', '600'], {}, controller.signal);
    controller.abort(new Error('stopped'));
    await expect(sleeping).rejects.toThrow('stopped');
  });
});
