/**
 * The same as berth.ts over the raw Engine API: node:http on the socket and nothing else, the
 * container made from the same config Berth makes from its secure defaults.
 */
import { request } from 'node:http';
import { report } from './report.mjs';

const socketPath = process.env.DOCKER_HOST?.startsWith('unix://')
  ? process.env.DOCKER_HOST.slice('unix://'.length)
  : '/var/run/docker.sock';

function call(method, path, body) {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const headers = payload
      ? { 'content-type': 'application/json', 'content-length': payload.length }
      : {};
    const req = request({ socketPath, method, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`${path}: ${data}`));
        else resolve(data);
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const { Id } = JSON.parse(
  (
    await call('POST', '/containers/create', {
      Image: process.env.BERTH_TEST_IMAGE ?? 'berth-test/busybox:latest',
      Cmd: ['echo', 'hello'],
      User: '65534:65534',
      Labels: { 'berth.managed': 'true', 'berth.session': process.env.BENCH_SESSION ?? 'raw' },
      HostConfig: {
        NanoCpus: 500_000_000,
        Memory: 512 * 1024 * 1024,
        MemorySwap: 512 * 1024 * 1024,
        PidsLimit: 100,
        ReadonlyRootfs: true,
        SecurityOpt: ['no-new-privileges:true'],
        CapDrop: ['ALL'],
        NetworkMode: 'none',
        LogConfig: { Type: 'local', Config: {} },
        Init: true,
      },
    })
  ).toString(),
);
await call('POST', `/containers/${Id}/start`);
await call('POST', `/containers/${Id}/wait?condition=not-running`);
const logs = await call('GET', `/containers/${Id}/logs?stdout=1&stderr=1`);
if (!logs.includes('hello')) throw new Error('unexpected output');
await call('DELETE', `/containers/${Id}`);
report();
