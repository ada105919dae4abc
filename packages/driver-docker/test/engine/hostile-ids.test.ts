import { createServer, type Server } from 'node:net';
import { ConfigurationError, ContainerNotFoundError, packTar } from '@berth/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EngineClient } from '../../src/engine/client.js';
import { DockerDriver } from '../../src/index.js';
import { describeEngine, docker, IMAGE } from '../support/engine.js';

/*
 * Ids as a service might pass them on from its users. Each used to reach the Engine API path
 * as is: the engine answered some with a redirect that the client followed to a host taken
 * from the id (a request to any host and port), and a redirect to a host that did not answer
 * ended as an unhandled 'error' event, which kills the process.
 */

let server: Server;
let hits = 0;
let port = 0;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  server = createServer((socket) => {
    hits++;
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as { port: number }).port;
  process.on('uncaughtException', onUncaught);
});

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await new Promise((done) => server.close(done));
});

const hostile = () => [
  '',
  '.',
  '..',
  '../',
  '../../etc/passwd',
  `../../127.0.0.1:${port}/x`,
  `//127.0.0.1:${port}/x`,
  'a/../../x',
  'abc?x=1',
  'abc#x',
  'abc\0',
  ' abc',
  'a'.repeat(200),
];

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describeEngine('Docker driver and hostile ids', () => {
  it('answers lookups of an id that cannot be one as not found, without a request', async () => {
    const driver = new DockerDriver();
    for (const id of hostile()) {
      expect(await driver.getContainer(id)).toBeNull();
      for (const read of [
        () => driver.getContainerLogs(id),
        () => driver.waitContainer(id),
        () => driver.getContainerStats(id),
        () => driver.isContainerHealthy(id),
        () => driver.readFile(id, '/etc/passwd'),
        () => driver.readFileStream(id, '/etc/passwd'),
        () => driver.listFiles(id, '/'),
        () => driver.download(id, '/'),
      ]) {
        await expect(read()).rejects.toBeInstanceOf(ContainerNotFoundError);
      }
    }
    await settle();
    expect(hits).toBe(0);
    expect(uncaught).toEqual([]);
  });

  it('refuses changes to an id that cannot be one with a ConfigurationError', async () => {
    const driver = new DockerDriver();
    for (const id of hostile()) {
      for (const change of [
        () => driver.startContainer(id),
        () => driver.stopContainer(id),
        () => driver.restartContainer(id),
        () => driver.removeContainer(id, { force: true }),
        () => driver.exec(id, ['true']),
        () => driver.signalContainer(id, 'SIGKILL'),
        () => driver.pauseContainer(id),
        () => driver.resumeContainer(id),
        () => driver.removeVolume(id),
        () => driver.removeNetwork(id),
        () => driver.writeFile(id, '/tmp/x', 'x'),
        () => driver.makeDir(id, '/tmp/x'),
        () => driver.removeFile(id, '/tmp/x', { force: true }),
        () => driver.upload(id, '/tmp', packTar([])),
      ]) {
        await expect(change()).rejects.toBeInstanceOf(ConfigurationError);
      }
    }
    await settle();
    expect(hits).toBe(0);
    expect(uncaught).toEqual([]);
  });

  it('touches no file of a container Berth did not make, whatever its id', async () => {
    const driver = new DockerDriver();
    const foreign = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '600'] });
    try {
      await foreign.start();
      for (const id of [foreign.id, foreign.id.slice(0, 12)]) {
        for (const call of [
          () => driver.readFile(id, '/etc/passwd'),
          () => driver.listFiles(id, '/'),
          () => driver.download(id, '/etc'),
          () => driver.writeFile(id, '/tmp/x', 'x'),
          () => driver.makeDir(id, '/tmp/y'),
          () => driver.removeFile(id, '/etc/hostname'),
          () => driver.upload(id, '/tmp', packTar([])),
        ]) {
          await expect(call()).rejects.toBeInstanceOf(ContainerNotFoundError);
        }
      }
      const left = await foreign.exec({ Cmd: ['ls', '/tmp'], AttachStdout: true });
      const output = await new Promise<string>((resolve, reject) =>
        left.start({}, (error, stream) => {
          if (error || !stream) return reject(error);
          let text = '';
          stream.on('data', (chunk: Buffer) => {
            text += chunk.toString('latin1');
          });
          stream.on('end', () => resolve(text));
        }),
      );
      expect(output).not.toMatch(/\bx\b|\by\b/);
    } finally {
      await foreign.remove({ force: true });
    }
  });

  it('never follows a redirect of the engine, wherever it points', async () => {
    // The engine redirects a path it cleans up; the client must report it, not go there.
    const client = new EngineClient(docker);
    for (const path of ['/containers//json', `/containers/..//127.0.0.1:${port}/x/json`]) {
      await expect(client.json({ method: 'GET', path })).rejects.toThrow();
    }
    await settle();
    expect(hits).toBe(0);
    expect(uncaught).toEqual([]);
  });
});
