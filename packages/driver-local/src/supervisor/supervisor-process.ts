/*
 * The supervisor's program: a small process, detached from the driver, that runs container
 * processes (a few at once). It timestamps their output lines into the log files and records
 * their exit status, so both survive the death of the driver process that started them. It is
 * reused for later containers while its driver is connected (starting Node costs ~30 ms and
 * ~40 MB; a lifecycle should not), and exits once it runs nothing and its driver is gone.
 *
 * The driver's side is supervisor-pool.ts, which launches this as its own entry of the built
 * package (dist/supervisor-process.js). Unbuilt, Node runs this source as it is, stripping the
 * types: every local import of this program's modules is a .ts path (or a type), as Node maps
 * no .js to .ts.
 */
import { closeSync } from 'node:fs';
import { inheritableDescriptors } from '../isolation/inherited-fds.ts';
import { discardWarm, heldSandboxIds, prepare, takeWarm } from './held-sandboxes.ts';
import { adopt, run } from './supervised-runs.ts';
import { isDisconnected, markDisconnected, report, send } from './supervisor-channel.ts';
import type { DriverMessage } from './supervisor-protocol.ts';

let shutdownRequested = false;

/** Containers this supervisor runs now; it serves several at once. */
let active = 0;
let exiting: Promise<void> | undefined;

function exitIfDone(): void {
  if (active > 0 || !(isDisconnected() || shutdownRequested)) return;
  // Warm sandboxes go with their supervisor: nobody would ever give them a container.
  exiting ??= Promise.all(heldSandboxIds().map(discardWarm))
    .then(() => undefined, report)
    .finally(() => process.exit(0));
}

// Whatever started this supervisor may have left descriptors open for its children (its own
// descriptors are close-on-exec): none of them may reach a container.
{
  const channel = (process.channel as { fd?: number } | undefined)?.fd;
  for (const fd of inheritableDescriptors()) {
    if (fd === channel) continue;
    try {
      closeSync(fd);
    } catch {
      // Gone already.
    }
  }
}

process.on('message', (message: DriverMessage) => {
  if (message.type === 'prepare') {
    if (exiting) send({ type: 'warm-gone', id: message.warm.id, discarded: true });
    else prepare(message.warm);
  } else if (message.type === 'discard') {
    void discardWarm(message.id).catch(report);
  } else if (message.type === 'run') {
    const { spec } = message;
    active++;
    let started: Promise<void>;
    try {
      started = spec.warmScript === undefined ? run(spec) : adopt(spec, takeWarm(spec.id));
    } catch (error) {
      started = Promise.reject(error);
    }
    started
      .catch((error: unknown) => {
        report(error);
        send({
          type: 'failed',
          id: message.spec.id,
          runNumber: message.spec.run,
          message: String(error),
        });
      })
      .finally(() => {
        active--;
        exitIfDone();
      });
  } else if (message.type === 'shutdown') {
    shutdownRequested = true;
    exitIfDone();
  }
});

// One container's failure (a write to a full disk, a vanished file) must not take the others
// down with their exit records: report it and keep supervising.
process.on('uncaughtException', report);
process.on('unhandledRejection', report);

process.on('disconnect', () => {
  markDisconnected();
  exitIfDone();
});
