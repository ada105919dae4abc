import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = new URL('../../../../scripts/swarm.sh', import.meta.url).pathname;

/** `bash scripts/swarm.sh <command>`: the project's own way to stop and start the worker. */
export async function swarmScript(
  command: 'worker-stop' | 'worker-start' | 'status',
): Promise<string> {
  const { stdout, stderr } = await run('bash', [SCRIPT, command], { timeout: 120_000 });
  return `${stdout}${stderr}`;
}

/** GET on an engine's API over its socket, for what the test checks without the driver. */
export function engineGet<T>(socketPath: string, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 400) reject(new Error(`${path}: ${res.statusCode} ${body}`));
        else resolve(JSON.parse(body) as T);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Containers on an engine carrying `label` (key=value), running or not. */
export async function containersLabelled(socketPath: string, label: string): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  const list = await engineGet<{ Id: string }[]>(
    socketPath,
    `/containers/json?all=true&filters=${filters}`,
  );
  return list.map((c) => c.Id);
}

/** A TCP listener on the host at `address`, counting the connections it accepts. */
export async function hostListener(
  address: string,
): Promise<{ port: number; accepted: () => number; close: () => Promise<void> }> {
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted += 1;
    socket.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    accepted: () => accepted,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
