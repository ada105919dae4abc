import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The path of `command` on PATH, or undefined. */
export function which(command: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface QueryResult {
  status: string;
  data?: {
    resultType: string;
    result: { metric: Record<string, string>; value: [number, string] }[];
  };
  error?: string;
}

export interface RunningPrometheus {
  url: string;
  query(expr: string): Promise<QueryResult>;
  /** Resolves once the scrape target has been scraped and is up. */
  targetUp(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real Prometheus on 127.0.0.1, scraping `target` (host:port) every 2 s, with its data in
 * a directory of its own that stop() removes.
 */
export async function startPrometheus(binary: string, target: string): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-prometheus-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 2s',
    '  scrape_timeout: 2s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: berth',
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: ['${target}']`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  let last = '';
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready in 30 s (last: ${last}; stderr: ${stderr})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return (await res.json()) as QueryResult;
    },
    async targetUp(timeoutMs) {
      const until = Date.now() + timeoutMs;
      let seen = '';
      for (;;) {
        const res = await fetch(`${url}/api/v1/targets`);
        const body = (await res.json()) as {
          data: { activeTargets: { health: string; lastError: string }[] };
        };
        const t = body.data.activeTargets[0];
        if (t?.health === 'up') return;
        seen = JSON.stringify(t);
        if (Date.now() > until) throw new Error(`the scrape target is not up: ${seen}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    stop,
  };
}
