import { setTimeout as sleep } from 'node:timers/promises';
import { type ContainerSignal, DriverError, UnsupportedFeatureError } from '@berth/core';
import { exec } from '../containers/exec.js';
import type { EngineSession } from '../engine/session.js';
import { inspectExec } from './engine-exec.js';
import type { ExitWatch } from './exit-watch.js';
import { type HostProcess, readHostProcess, signalHostProcess } from './host-process.js';

/*
 * The Engine API cannot signal an exec. The driver signals it on the host, by the pid the
 * engine reports, once /proc shows it is still that process and in the container (see
 * host-process.ts). Where the host refuses (the driver may not signal another user's process),
 * the signal is sent from inside the container instead: `kill` run by another exec, as the
 * process's own user, to its pid in the container's namespace, so it cannot reach anything
 * outside the container. Where the engine's processes are not visible here, there is no way.
 */

export interface KillTarget {
  session: EngineSession;
  containerId: string;
  execId: string;
  /** What /proc showed when the process was spawned or found; undefined where it showed nothing. */
  seen: HostProcess | undefined;
  /** The handle's exit watch, told of the signal; none for a buffered exec given up on. */
  watch?: ExitWatch;
}

export function noProcessView(containerId: string): UnsupportedFeatureError {
  return new UnsupportedFeatureError(
    { feature: 'processes', path: 'kill' },
    `The Docker Engine API cannot signal an exec, and this host's /proc does not show container ${containerId}'s processes (the engine runs on another host, or in another pid namespace): its processes could not be killed, so none is started`,
  );
}

export async function killProcess(target: KillTarget, signal: ContainerSignal): Promise<void> {
  const { session, containerId, execId, seen, watch } = target;
  const exec = await inspectExec(session, execId, undefined);
  if (!exec?.Running) return;
  if (!seen) throw noProcessView(containerId);
  watch?.sent.add(signal);
  const result = signalHostProcess(seen, containerId, signal);
  if (result === 'refused') await killInside(target, seen, signal, exec.ProcessConfig?.user);
  watch?.poke();
}

/** How long a buffered exec given up on is waited for: to start, if it was starting, and to end. */
const GIVEN_UP_WAIT_MS = 2000;

/**
 * Kills a buffered exec given up on (its timeout, its caller's abort) with SIGKILL, as
 * killProcess does (its group with it), and waits briefly for its end, so nothing it started
 * runs on. An exec the engine is still starting is waited for; one this host's /proc does not
 * show in the container (the engine elsewhere) is left running, as nothing can kill it.
 */
export async function killGivenUp(session: EngineSession, execId: string): Promise<void> {
  const until = Date.now() + GIVEN_UP_WAIT_MS;
  let delay = 10;
  let killed = false;
  for (;;) {
    const exec = await inspectExec(session, execId, undefined);
    if (!exec || (!exec.Running && exec.ExitCode !== null)) return;
    if (!killed && exec.Pid > 0) {
      const containerId = exec.ContainerID;
      const seen = readHostProcess(exec.Pid, containerId);
      if (!seen) return;
      await killProcess({ session, containerId, execId, seen }, 'SIGKILL');
      killed = true;
    }
    if (Date.now() >= until) return;
    await sleep(delay);
    delay = Math.min(100, delay * 2);
  }
}

async function killInside(
  target: KillTarget,
  seen: HostProcess,
  signal: ContainerSignal,
  user: string | undefined,
): Promise<void> {
  const { session, containerId } = target;
  // Checked again just before: a pid seen ended or reused is not sent anything.
  const now = readHostProcess(seen.hostPid, containerId);
  if (!now || now.startTime !== seen.startTime || now.nsPid === undefined) return;
  const name = signal.replace(/^SIG/, '');
  const run = (argv: string[]) =>
    exec(session, containerId, ['kill', '-s', name, ...argv], user ? { user } : {}, {
      signal: undefined,
    });
  let result = await run(now.leadsGroup ? ['--', `-${now.nsPid}`] : [String(now.nsPid)]);
  // A group is a negative pid, after `--` for POSIX kill; busybox's takes no `--`.
  if (now.leadsGroup && /invalid number '--'/.test(result.stderr)) {
    result = await run([`-${now.nsPid}`]);
  }
  if (result.exitCode === 0) return;
  // It ended between the check and the kill.
  if (/no such process/i.test(result.stderr)) return;
  if (
    result.exitCode === 126 ||
    result.exitCode === 127 ||
    /executable file not found/.test(result.stdout)
  ) {
    throw new UnsupportedFeatureError(
      { feature: 'processes', path: 'kill' },
      `This host refused the driver the signal (it may not signal another user's process), and the image of container ${containerId} has no \`kill\` program to send it from inside`,
    );
  }
  throw new DriverError(
    `Could not signal process ${target.execId} in container ${containerId}: ${result.stderr.trim() || result.stdout.trim()}`,
    'ENGINE_ERROR',
    false,
  );
}
