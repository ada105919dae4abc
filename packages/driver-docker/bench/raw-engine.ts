/**
 * The raw side of the benchmarks: Engine API calls over the unix socket with node:http, as a
 * client with no library would make them, on one keep-alive agent.
 */
import { Agent, request } from 'node:http';
import { engineAddress } from '../dist/index.js';

const address = engineAddress();
if (!('socketPath' in address)) {
  throw new Error('the raw side of the benchmarks talks to a unix socket');
}
export const agent = new Agent({ keepAlive: true });

export function call(method: string, path: string, body?: unknown): Promise<Buffer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: address.socketPath,
        agent,
        method,
        path,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': payload.length }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const data = Buffer.concat(chunks);
          if ((res.statusCode ?? 500) >= 300) {
            reject(new Error(`${method} ${path}: ${res.statusCode} ${data.toString()}`));
          } else resolve(data);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
