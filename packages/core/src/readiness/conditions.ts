import { ConfigurationError } from '../errors/index.js';

/** A log line matched `times` times (default once), on either stream unless one is named. */
export interface LogCondition {
  kind: 'log';
  pattern: string | RegExp;
  times: number;
  stream?: 'stdout' | 'stderr';
}

/** A published container port accepting TCP connections, probed from the host side. */
export interface PortCondition {
  kind: 'port';
  port: number;
}

/** An HTTP endpoint on a published port answering as `status` (default: any 2xx) says. */
export interface HttpCondition {
  kind: 'http';
  port: number;
  path: string;
  method: 'GET' | 'HEAD';
  status: number | readonly number[] | ((status: number) => boolean) | undefined;
  /** Checked on the body of an answer whose status passed. */
  body?: (text: string) => boolean;
}

/** A command run in the container that exits with `exitCode` (default 0). */
export interface CommandCondition {
  kind: 'command';
  command: string[];
  exitCode: number;
}

/** The container's own health check passing. */
export interface HealthyCondition {
  kind: 'healthy';
}

/** A one-shot container that ran to its end with `exitCode` (default 0). */
export interface ExitCondition {
  kind: 'exit';
  exitCode: number;
}

export interface AllCondition {
  kind: 'all';
  of: ReadyCondition[];
}

export interface AnyCondition {
  kind: 'any';
  of: ReadyCondition[];
}

export type ReadyCondition =
  | LogCondition
  | PortCondition
  | HttpCondition
  | CommandCondition
  | HealthyCondition
  | ExitCondition
  | AllCondition
  | AnyCondition;

function port(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65_535) {
    throw new ConfigurationError(`${where}: port must be an integer 1–65535, got ${String(value)}`);
  }
  return value;
}

function conditions(list: unknown[], where: string): ReadyCondition[] {
  if (list.length === 0) throw new ConfigurationError(`${where} needs at least one condition`);
  for (const c of list) {
    if (typeof c !== 'object' || c === null || typeof (c as { kind?: unknown }).kind !== 'string') {
      throw new ConfigurationError(`${where}: every condition must come from waitFor.*`);
    }
  }
  return list as ReadyCondition[];
}

/** Builders of readiness conditions, for waitUntilReady. */
export const waitFor = {
  logLine(
    pattern: string | RegExp,
    options: { times?: number; stream?: 'stdout' | 'stderr' } = {},
  ): LogCondition {
    if (typeof pattern !== 'string' && !(pattern instanceof RegExp)) {
      throw new ConfigurationError('waitFor.logLine: pattern must be a string or a RegExp');
    }
    if (pattern === '') throw new ConfigurationError('waitFor.logLine: pattern must not be empty');
    const times = options.times ?? 1;
    if (!Number.isInteger(times) || times < 1) {
      throw new ConfigurationError(`waitFor.logLine: times must be an integer ≥ 1, got ${times}`);
    }
    if (
      options.stream !== undefined &&
      options.stream !== 'stdout' &&
      options.stream !== 'stderr'
    ) {
      throw new ConfigurationError("waitFor.logLine: stream must be 'stdout' or 'stderr'");
    }
    return { kind: 'log', pattern, times, ...(options.stream ? { stream: options.stream } : {}) };
  },
  port(containerPort: number): PortCondition {
    return { kind: 'port', port: port(containerPort, 'waitFor.port') };
  },
  http(
    containerPort: number,
    path = '/',
    options: {
      method?: 'GET' | 'HEAD';
      status?: HttpCondition['status'];
      body?: (text: string) => boolean;
    } = {},
  ): HttpCondition {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new ConfigurationError(`waitFor.http: path must start with '/', got ${String(path)}`);
    }
    const method = options.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      throw new ConfigurationError("waitFor.http: method must be 'GET' or 'HEAD'");
    }
    return {
      kind: 'http',
      port: port(containerPort, 'waitFor.http'),
      path,
      method,
      status: options.status,
      ...(options.body ? { body: options.body } : {}),
    };
  },
  command(command: string[], options: { exitCode?: number } = {}): CommandCondition {
    if (!Array.isArray(command) || command.length === 0) {
      throw new ConfigurationError('waitFor.command: command must be a non-empty argv array');
    }
    return { kind: 'command', command: [...command], exitCode: options.exitCode ?? 0 };
  },
  healthy(): HealthyCondition {
    return { kind: 'healthy' };
  },
  /** For one-shot containers: ready means it ran to its end with this exit code. */
  successfulExit(exitCode = 0): ExitCondition {
    return { kind: 'exit', exitCode };
  },
  all(...of: ReadyCondition[]): AllCondition {
    return { kind: 'all', of: conditions(of, 'waitFor.all') };
  },
  any(...of: ReadyCondition[]): AnyCondition {
    return { kind: 'any', of: conditions(of, 'waitFor.any') };
  },
};

/** A condition in words, for errors. */
export function describeCondition(c: ReadyCondition): string {
  switch (c.kind) {
    case 'log':
      return `log line ${String(c.pattern)}${c.times > 1 ? ` ×${c.times}` : ''}`;
    case 'port':
      return `port ${c.port}`;
    case 'http':
      return `HTTP ${c.method} :${c.port}${c.path}`;
    case 'command':
      return `command ${JSON.stringify(c.command)} exiting ${c.exitCode}`;
    case 'healthy':
      return 'its health check';
    case 'exit':
      return `exit with code ${c.exitCode}`;
    case 'all':
      return `all of (${c.of.map(describeCondition).join(', ')})`;
    case 'any':
      return `any of (${c.of.map(describeCondition).join(', ')})`;
  }
}

/** True when the container running to its end is what the condition waits for. */
export function expectsExit(c: ReadyCondition): boolean {
  if (c.kind === 'exit') return true;
  if (c.kind === 'all' || c.kind === 'any') return c.of.some(expectsExit);
  return false;
}
