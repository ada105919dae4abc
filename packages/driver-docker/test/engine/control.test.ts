import { ConflictError, ContainerNotFoundError, ContainerRemoveError } from '@berth/core';
import { expect, it, onTestFinished } from 'vitest';
import type { DockerDriver } from '../../src/index.js';
import { describeEngine, docker, eventually, IMAGE, shell, useSession } from '../support/engine.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function lines(driver: DockerDriver, id: string): Promise<string[]> {
  return (await driver.getContainerLogs(id)).split('\n').filter((line) => line !== '');
}

/** The last number the counter printed (0 before its first). */
async function count(driver: DockerDriver, id: string): Promise<number> {
  return Number((await lines(driver, id)).at(-1) ?? 0);
}

/** What the call rejected with; fails the test if it succeeded. */
async function refusal(call: Promise<unknown>): Promise<Error> {
  return call.then(
    () => {
      throw new Error('expected the call to be refused, it succeeded');
    },
    (error: Error) => error,
  );
}

// Prints 1, 2, 3, ... every 100 ms: a paused container's counter stands still.
const COUNTER = 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done';
// A trapped signal interrupts `wait` (not a foreground command), so the handler runs at once.
const TRAPS =
  "trap 'echo got-USR1' USR1; trap 'echo got-HUP' HUP; echo ready; while true; do sleep 600 & wait; done";

describeEngine('Docker driver: signals, pause and resume on a real engine', () => {
  const { driver, session } = useSession('control');

  it('reports pause and signals in its capabilities', async () => {
    expect(await driver.capabilities()).toMatchObject({ pause: true, signals: true });
  });

  it('pause freezes a counter (no exec, no start, no signal) until resume', async () => {
    const { id } = await driver.createContainer(shell(session, COUNTER));
    await driver.startContainer(id);
    await eventually(
      'the counter to reach 3 (its last line)',
      () => count(driver, id),
      (n) => n >= 3,
    );

    await driver.pauseContainer(id);
    expect((await docker.getContainer(id).inspect()).State.Paused).toBe(true);
    expect(await driver.getContainer(id)).toMatchObject({ status: 'paused', state: 'running' });
    const listed = await driver.listContainers({ sessionId: session, status: 'paused' });
    expect(listed.map((c) => c.id)).toEqual([id]);
    // Pausing a paused container is a no-op, however many ask at once.
    await Promise.all([driver.pauseContainer(id), driver.pauseContainer(id)]);

    const frozen = await count(driver, id);
    await pause(1000);
    expect(await count(driver, id), 'the counter stood still while paused for 1 s').toBe(frozen);

    const exec = await refusal(driver.exec(id, ['true']));
    expect(exec).toBeInstanceOf(ConflictError);
    expect(exec.message).toMatch(/paused.*resumeContainer/);
    const start = await refusal(driver.startContainer(id));
    expect(start).toBeInstanceOf(ConflictError);
    expect(start.message).toMatch(/paused.*resumeContainer/);
    // The engine would deliver the signal and unpause the container: the driver refuses first.
    const signal = await refusal(driver.signalContainer(id, 'SIGTERM'));
    expect(signal).toBeInstanceOf(ConflictError);
    expect(signal.message).toMatch(/paused.*resumeContainer/);
    await pause(300);
    expect((await docker.getContainer(id).inspect()).State.Status).toBe('paused');
    expect(await count(driver, id), 'nothing of the refused calls thawed it').toBe(frozen);

    await driver.resumeContainer(id);
    expect(await driver.getContainer(id)).toMatchObject({ status: 'running', state: 'running' });
    // Resuming a running container is a no-op (the engine answers it with a 500).
    await Promise.all([driver.resumeContainer(id), driver.resumeContainer(id)]);
    await eventually(
      `the counter to pass ${frozen} + 3 after resume (its last line)`,
      () => count(driver, id),
      (n) => n >= frozen + 3,
    );
    expect(await driver.exec(id, ['echo', 'thawed'])).toMatchObject({
      exitCode: 0,
      stdout: 'thawed\n',
    });
    await driver.removeContainer(id, { force: true });
  });

  it('stops a paused container, and restarts and force-removes one (cleanup too), leaving nothing', async () => {
    const stopSession = `${session}-stop`;
    // A session of its own (to count what is left), so the file's cleanup does not cover it.
    onTestFinished(async () => {
      await driver.cleanup({ sessionId: stopSession });
    });
    const stopped = await driver.createContainer(shell(stopSession, COUNTER));
    const killed = await driver.createContainer(shell(stopSession, COUNTER));
    const removed = await driver.createContainer(shell(stopSession, COUNTER));
    const leftPaused = await driver.createContainer(shell(stopSession, COUNTER));
    for (const { id } of [stopped, killed, removed, leftPaused]) {
      await driver.startContainer(id);
      await driver.pauseContainer(id);
    }

    await driver.stopContainer(stopped.id, { timeout: 2 });
    // The engine thaws it to deliver SIGTERM: the shell dies of it (through the init process).
    expect(await driver.getContainer(stopped.id)).toMatchObject({
      status: 'exited',
      exitCode: 143,
    });
    await driver.stopContainer(killed.id, { force: true });
    expect(await driver.getContainer(killed.id)).toMatchObject({ status: 'exited', exitCode: 137 });
    for (const { id } of [stopped, killed]) {
      const resume = await refusal(driver.resumeContainer(id));
      expect(resume).toBeInstanceOf(ConflictError);
      expect(resume.message).toMatch(/exited.*startContainer/);
    }

    const notForced = await refusal(driver.removeContainer(removed.id));
    expect(notForced).toBeInstanceOf(ContainerRemoveError);
    expect((await docker.getContainer(removed.id).inspect()).State.Status).toBe('paused');
    await driver.removeContainer(removed.id, { force: true });
    expect(await driver.getContainer(removed.id)).toBeNull();
    await expect(docker.getContainer(removed.id).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });

    // A restart thaws it too, into a fresh run.
    await driver.restartContainer(leftPaused.id, { timeout: 1 });
    expect((await driver.getContainer(leftPaused.id))?.status).toBe('running');
    await driver.pauseContainer(leftPaused.id);
    // A session's cleanup takes its paused containers too.
    expect(await driver.cleanup({ sessionId: stopSession })).toMatchObject({ containers: 3 });
    await expect(docker.getContainer(leftPaused.id).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`berth.session=${stopSession}`] },
    });
    expect(left).toEqual([]);
  });

  it('delivers signals to the main process through the init process', async () => {
    const { id } = await driver.createContainer(shell(session, TRAPS));
    await driver.startContainer(id);
    await eventually(
      "the script to print 'ready' (the log lines)",
      () => lines(driver, id),
      (seen) => seen.includes('ready'),
    );

    await driver.signalContainer(id, 'SIGUSR1');
    await eventually(
      "the trap to print 'got-USR1' (the log lines)",
      () => lines(driver, id),
      (seen) => seen.includes('got-USR1'),
    );
    await driver.signalContainer(id, 'SIGHUP');
    await driver.signalContainer(id, 'SIGUSR1');
    await eventually(
      "the trap to print 'got-USR1' twice (the log lines)",
      () => lines(driver, id),
      (seen) => seen.filter((l) => l === 'got-USR1').length === 2,
    );
    expect(await lines(driver, id)).toEqual(['ready', 'got-USR1', 'got-HUP', 'got-USR1']);
    // SIGWINCH is ignored by default: it is delivered and nothing happens.
    await driver.signalContainer(id, 'SIGWINCH');
    await pause(300);
    expect((await driver.getContainer(id))?.status).toBe('running');

    // An untrapped SIGINT ends the shell; the init process exits with its status, 128 + 2.
    await driver.signalContainer(id, 'SIGINT');
    expect(await driver.waitContainer(id)).toEqual({ exitCode: 130, oomKilled: false });
    const late = await refusal(driver.signalContainer(id, 'SIGUSR1'));
    expect(late).toBeInstanceOf(ConflictError);
    expect(late.message).toMatch(/exited.*startContainer/);
    await driver.removeContainer(id, { force: true });
  });

  it('SIGKILL ends a container at once, whatever it traps; a name works as its id', async () => {
    const name = `${session}-killed`;
    const { id } = await driver.createContainer(
      shell(session, `trap '' TERM INT HUP; ${TRAPS}`, { name }),
    );
    await driver.startContainer(id);
    await eventually(
      "the script to print 'ready' (the log lines)",
      () => lines(driver, id),
      (seen) => seen.includes('ready'),
    );
    await driver.signalContainer(name, 'SIGKILL');
    expect(await driver.waitContainer(id)).toEqual({ exitCode: 137, oomKilled: false });
    await driver.removeContainer(id);
  });

  it('refuses pause, resume and signals for a container that is not running', async () => {
    const { id } = await driver.createContainer(shell(session, 'sleep 300'));
    const expectations: [string, () => Promise<void>, RegExp][] = [
      ['pause', () => driver.pauseContainer(id), /created.*startContainer/],
      ['resume', () => driver.resumeContainer(id), /created.*startContainer/],
      ['signal', () => driver.signalContainer(id, 'SIGHUP'), /created.*startContainer/],
    ];
    for (const [what, call, message] of expectations) {
      const error = await refusal(call());
      expect(error, what).toBeInstanceOf(ConflictError);
      expect(error.message, what).toMatch(message);
      expect((error as ConflictError).retryable, what).toBe(false);
    }
    expect((await docker.getContainer(id).inspect()).State.Status).toBe('created');
    await driver.removeContainer(id);
  });

  it('does not see or touch a running or paused container it did not make', async () => {
    const foreign = await docker.createContainer({
      Image: IMAGE,
      Cmd: ['sh', '-c', TRAPS],
      HostConfig: { Init: true },
    });
    try {
      await foreign.start();
      await eventually(
        "the foreign container to print 'ready' (its logs)",
        async () => String(await foreign.logs({ stdout: true })),
        (logs) => logs.includes('ready'),
      );
      for (const call of [
        () => driver.signalContainer(foreign.id, 'SIGUSR1'),
        () => driver.signalContainer(foreign.id, 'SIGKILL'),
        () => driver.pauseContainer(foreign.id),
      ]) {
        expect(await refusal(call())).toBeInstanceOf(ContainerNotFoundError);
      }
      await pause(300);
      const running = await foreign.inspect();
      expect(running.State).toMatchObject({ Status: 'running', Paused: false });
      expect(String(await foreign.logs({ stdout: true }))).not.toContain('got-USR1');

      await foreign.pause();
      expect(await refusal(driver.resumeContainer(foreign.id))).toBeInstanceOf(
        ContainerNotFoundError,
      );
      expect((await foreign.inspect()).State.Status).toBe('paused');
    } finally {
      await foreign.remove({ force: true });
    }
  });
});
