/*
 * Descriptors a process got from whatever started it, open without close-on-exec: Node opens
 * everything close-on-exec and never closes these in a child, so they would reach every process
 * spawned from here — a container included (a host application's listening socket, a pipe of
 * the CI runner, a directory outside the sandbox). Used by the supervisor, which runs straight
 * from source too: no local imports here.
 */
import { readdirSync, readFileSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/** This process's descriptors above stderr that a spawned program would inherit. */
export function inheritableDescriptors(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd <= 2) continue;
    try {
      const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (flags && (Number.parseInt(flags[1] as string, 8) & O_CLOEXEC) === 0) found.push(fd);
    } catch {
      // Closed meanwhile (readdir's own descriptor among them).
    }
  }
  return found;
}

/**
 * A spawn `stdio` array that gives the child `/dev/null` at each inheritable descriptor of this
 * process, where it would otherwise get the descriptor itself: Node cannot close them in the
 * child, but it can put something harmless in their place. `devNull` is an open descriptor of
 * /dev/null; `base` the stdio entries the caller wants (0, 1, 2, ...).
 */
export function shadowingStdio<T>(base: T[], devNull: number): (T | number | 'ignore')[] {
  const stdio: (T | number | 'ignore')[] = [...base];
  for (const fd of inheritableDescriptors()) {
    // What the caller asked for at that position is what the child gets there.
    if (fd < base.length) continue;
    while (stdio.length <= fd) stdio.push('ignore');
    stdio[fd] = devNull;
  }
  return stdio;
}
