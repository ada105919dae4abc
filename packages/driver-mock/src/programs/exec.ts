import {
  ConflictError,
  type ExecCallOptions,
  type ExecResult,
  parseExecCommand,
  parseExecOptions,
  TimeoutError,
} from '@berth/core';
import { requireExecutable } from '../containers/control.js';
import type { MockState } from '../engine/mock-state.js';
import { CommandNotFound, interpretCommand } from './program.js';

/** A declared exec result, else the command interpreted, its sleeps taken on the clock. */
export async function execInContainer(
  state: MockState,
  id: string,
  command: string[],
  options: ExecCallOptions,
): Promise<ExecResult> {
  const { clock, allowRoot, profile } = state.settings;
  const argv = parseExecCommand(command);
  const checked = parseExecOptions(options, { allowRoot });
  const container = state.container(id, true);
  requireExecutable(container);
  if (container.instance.status !== 'running') {
    throw new ConflictError(profile.notRunningMessage(container.instance.id));
  }
  const declared = container.plan.program.exec?.[argv.join(' ')];
  if (declared) return { exitCode: 0, stdout: '', stderr: '', ...declared };
  const env = { ...container.config.env, ...checked.env };
  const cwd = checked.cwd ?? container.config.workingDir ?? '/';
  let steps: ReturnType<typeof interpretCommand>;
  try {
    steps = interpretCommand(argv, env, cwd);
  } catch (error) {
    if (error instanceof CommandNotFound)
      return { exitCode: 127, stdout: '', stderr: `${error.message}\n` };
    throw error;
  }
  const out = { stdout: '', stderr: '' };
  let elapsed = 0;
  for (const step of steps) {
    if (step.kind === 'out') out[step.stream] += `${step.text}\n`;
    else if (step.kind === 'cat')
      continue; // exec gives no stdin: end-of-file at once
    else if (step.kind === 'sleep') {
      if (checked.timeout !== undefined && elapsed + step.ms > checked.timeout) {
        await clock.sleep(checked.timeout - elapsed, options.signal);
        throw new TimeoutError('exec', checked.timeout);
      }
      elapsed += step.ms;
      await clock.sleep(step.ms, options.signal);
    } else return { exitCode: step.code, ...out };
  }
  return { exitCode: 0, ...out };
}
