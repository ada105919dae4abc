import type { z } from 'zod';
import type { ValidationIssue } from './errors/index.js';
import { nulByteIssues, unshadowed } from './nul-bytes.js';
import { plainData, withoutSignal } from './plain-data.js';
import { ExecOptionsSchema } from './schemas.js';
import type { ExecCallOptions } from './types.js';
import { userSpecProblem } from './user-spec.js';
import { envNameIssues, fail, schemaIssues } from './validation.js';

export interface ExecValidationOptions {
  /**
   * Accept an exec `user` with uid 0 or gid 0 (`'0'`, `'root'`, `'1000:0'`, …). Refused by
   * default: root in a container is root on the host unless a user namespace remaps it.
   */
  allowRoot?: boolean;
}

/**
 * Validates exec options (the signal aside): the schema, NUL bytes, env names, and the user as
 * `security.user` is checked (root refused unless `allowRoot`). Drivers should use what it
 * returns, a copy, rather than the caller's object, which could change after the check.
 */
export function parseExecOptions(
  options: ExecCallOptions = {},
  validation: ExecValidationOptions = {},
): z.output<typeof ExecOptionsSchema> {
  const { signal: _signal, ...unread } = withoutSignal(options, 'exec options');
  const rest = plainData<Record<string, unknown>>(unread, 'exec options');
  const parsed = ExecOptionsSchema.safeParse(rest);
  // The parsed copy, when there is one, is what the driver will use: check that very copy.
  const subject: Record<string, unknown> = parsed.success ? parsed.data : rest;
  const nul = nulByteIssues(subject);
  const checks = envNameIssues(subject.env, ['env']);
  // An empty user is the schema's to report; everything else gets the container's rules.
  if (typeof subject.user === 'string' && subject.user !== '') {
    const problem = userSpecProblem(subject.user, validation);
    if (problem) checks.push({ path: ['user'], message: problem, stage: 'security' });
  }
  const issues = [
    ...(parsed.success ? [] : schemaIssues(parsed.error)),
    ...nul,
    ...unshadowed(checks, nul),
  ];
  if (!parsed.success || issues.length > 0) fail('exec options', issues);
  return parsed.data;
}

const COMMAND_HINT = "an array with at least the program, e.g. ['sh', '-c', 'echo hi']";

/**
 * Validates the command of an exec: a non-empty array of strings, the program first and not
 * empty, no NUL bytes. Returns a copy, for the driver to run instead of the caller's array.
 */
export function parseExecCommand(input: unknown): string[] {
  const command = plainData(input, 'exec command');
  if (!Array.isArray(command) || command.length === 0) {
    const got = Array.isArray(command)
      ? 'an empty array'
      : typeof command === 'string'
        ? 'a string (a shell line is never split: pass its words, or sh -c and the line)'
        : command === null
          ? 'null'
          : typeof command;
    fail('exec command', [
      { path: [], message: `exec needs a command: ${COMMAND_HINT}; got ${got}`, stage: 'schema' },
    ]);
  }
  // Copied first and the copy checked and returned: a proxy or getter cannot change it later.
  const argv: unknown[] = Array.from(command);
  const issues: ValidationIssue[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (typeof arg !== 'string') {
      issues.push({
        path: [index],
        message: `argument ${index} must be a string, got ${arg === null ? 'null' : typeof arg}`,
        stage: 'schema',
      });
    } else if (index === 0 && arg === '') {
      issues.push({
        path: [0],
        message: `the program (the first element) must not be empty: ${COMMAND_HINT}`,
        stage: 'schema',
      });
    }
  }
  issues.push(...nulByteIssues(argv));
  if (issues.length > 0) fail('exec command', issues);
  return argv as string[];
}
