import { request } from 'node:http';
import type { ContainerDriver, DriverCapabilities } from '@berth/core';
import type { HostFingerprint } from '@berth/driver-local';
import type { GlobalOptions } from '../../args/spec.js';
import { openDriver } from '../../driver/open.js';
import { describeError } from '../../errors/report.js';
import {
  type CapabilityGap,
  DEFAULT_NEEDS,
  dockerGap,
  genericGap,
  localGap,
  missing,
} from './gaps.js';

export interface DriverReport {
  name: string;
  package?: string;
  version?: string;
  /** ready: the secure defaults hold; degraded: some cannot be enforced; unusable: nothing runs. */
  status: 'ready' | 'degraded' | 'unusable';
  /** One line: why it has that status. */
  summary: string;
  /** The fix when it is unusable. */
  fix?: string;
  /** What was found: the local host's mechanisms, or the Docker engine. */
  details: Record<string, unknown>;
  capabilities?: DriverCapabilities;
  gaps: CapabilityGap[];
}

export interface CheckInput {
  name: string;
  package?: string;
  version?: string;
  globals: GlobalOptions;
  env: Record<string, string | undefined>;
  cwd: string;
}

function statusFrom(caps: DriverCapabilities): Pick<DriverReport, 'status' | 'summary'> {
  const lacking = DEFAULT_NEEDS.filter((need) => !caps[need]);
  if (lacking.length === 0) return { status: 'ready', summary: 'enforces the secure defaults' };
  return {
    status: 'degraded',
    summary: `cannot enforce ${lacking.join(', ')}: containers with the secure defaults are refused (or run with --enforcement best-effort)`,
  };
}

async function withDriver<T>(input: CheckInput, use: (driver: ContainerDriver) => Promise<T>) {
  const driver = await openDriver(
    { name: input.name, source: 'flag' },
    input.globals,
    input.env,
    input.cwd,
  );
  try {
    return await use(driver);
  } finally {
    await driver.close().catch(() => undefined);
  }
}

function base(input: CheckInput): Pick<DriverReport, 'name' | 'package' | 'version'> {
  return {
    name: input.name,
    ...(input.package ? { package: input.package } : {}),
    ...(input.version ? { version: input.version } : {}),
  };
}

/** The fingerprint's parts a person can act on (tool paths and the sandbox view left out). */
function hostDetails(host: HostFingerprint): Record<string, unknown> {
  return {
    platform: host.platform,
    arch: host.arch,
    kernel: host.kernel,
    uid: host.uid,
    isRoot: host.isRoot,
    cgroups: {
      version: host.cgroups.version,
      enforced: host.cgroups.enforced,
      freezer: host.cgroups.freezer,
      ...(host.cgroups.reason ? { reason: host.cgroups.reason } : {}),
    },
    setpriv: host.setpriv,
    bubblewrap: {
      path: host.bubblewrap.path,
      works: host.bubblewrap.works,
      ...(host.bubblewrap.reason ? { reason: host.bubblewrap.reason } : {}),
    },
    networks: host.networks,
    warmStart: host.warmStart,
  };
}

/** The local driver: its host fingerprint, and for every gap the fingerprint's reason. */
export async function checkLocal(input: CheckInput): Promise<DriverReport> {
  return withDriver(input, async (driver) => {
    const fingerprint = (driver as { hostFingerprint?: () => Promise<HostFingerprint> })
      .hostFingerprint;
    if (typeof fingerprint !== 'function') return checkGeneric(input, driver);
    const host = await fingerprint.call(driver);
    const caps = await driver.capabilities();
    const health = await driver.healthCheck();
    const gaps = missing(caps).map((name) => localGap(name, host));
    const details = { ...hostDetails(host), stateDir: (driver as { stateDir?: string }).stateDir };
    if (host.isRoot && !host.setpriv.user) {
      return {
        ...base(input),
        status: 'unusable',
        summary:
          'running as root without a working setpriv, it refuses every container (they would run as host root)',
        fix: "install util-linux's setpriv (apt-get install util-linux), or run berth as an ordinary user",
        details,
        capabilities: caps,
        gaps,
      };
    }
    if (health.status === 'unhealthy') {
      return {
        ...base(input),
        status: 'unusable',
        summary: health.error ?? 'unhealthy',
        fix: 'check that the state directory is writable (--state-dir or BERTH_STATE_DIR)',
        details,
        capabilities: caps,
        gaps,
      };
    }
    return { ...base(input), ...statusFrom(caps), details, capabilities: caps, gaps };
  });
}

/** `/version` of the engine for its API version, over the same address the ping used. */
function engineVersion(
  address: { socketPath: string } | { host: string; port: number },
): Promise<{ Version?: string; ApiVersion?: string } | undefined> {
  return new Promise((resolve) => {
    const req = request({ ...address, path: '/version', method: 'GET', timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 65_536) body += chunk;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as { Version?: string; ApiVersion?: string });
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** The Docker driver: is an engine there, which version, what it enforces. */
export async function checkDocker(input: CheckInput): Promise<DriverReport> {
  const docker = await import('@berth/driver-docker');
  const dockerHost = input.env.DOCKER_HOST || undefined;
  const shownAddress = dockerHost ?? 'unix:///var/run/docker.sock';
  const reachable = await docker.pingDockerEngine({
    timeoutMs: 2000,
    ...(dockerHost ? { dockerHost } : {}),
  });
  if (!reachable) {
    return {
      ...base(input),
      status: 'unusable',
      summary: `no Docker engine answers at ${shownAddress}`,
      fix: 'start the engine (sudo systemctl start docker) or point DOCKER_HOST at it; in the Berth repository: sudo bash scripts/docker-engine.sh',
      details: { engine: { address: shownAddress, reachable: false } },
      gaps: [],
    };
  }
  return withDriver(input, async (driver) => {
    const [caps, health] = await Promise.all([driver.capabilities(), driver.healthCheck()]);
    // TLS engines need their keys for this; the server version from the driver is enough there.
    const plain = !input.env.DOCKER_TLS_VERIFY && !input.env.DOCKER_CERT_PATH;
    const version = plain ? await engineVersion(docker.engineAddress(dockerHost)) : undefined;
    const engine = {
      address: shownAddress,
      reachable: true,
      serverVersion: version?.Version ?? health.version,
      ...(version?.ApiVersion ? { apiVersion: version.ApiVersion } : {}),
      containers: health.containers,
    };
    const gaps = missing(caps).map(dockerGap);
    return { ...base(input), ...statusFrom(caps), details: { engine }, capabilities: caps, gaps };
  });
}

/** Any other driver: what its capabilities and health say. */
export async function checkGeneric(
  input: CheckInput,
  opened?: ContainerDriver,
): Promise<DriverReport> {
  const check = async (driver: ContainerDriver): Promise<DriverReport> => {
    const [caps, health] = await Promise.all([driver.capabilities(), driver.healthCheck()]);
    const details = {
      health: health.status,
      driverVersion: driver.version,
      ...(health.error ? { error: health.error } : {}),
    };
    const gaps = missing(caps).map(genericGap);
    if (health.status === 'unhealthy') {
      return {
        ...base(input),
        status: 'unusable',
        summary: health.error ?? 'unhealthy',
        details,
        capabilities: caps,
        gaps,
      };
    }
    return { ...base(input), ...statusFrom(caps), details, capabilities: caps, gaps };
  };
  return opened ? check(opened) : withDriver(input, check);
}

/** Runs the check for `input.name`, turning a failure into an unusable report. */
export async function checkDriver(input: CheckInput): Promise<DriverReport> {
  try {
    if (input.name === 'local') return await checkLocal(input);
    if (input.name === 'docker') return await checkDocker(input);
    return await checkGeneric(input);
  } catch (error) {
    const { name, message, code } = describeError(error);
    return {
      ...base(input),
      status: 'unusable',
      summary: `${name}: ${message}${code ? ` (code ${code})` : ''}`,
      details: {},
      gaps: [],
    };
  }
}
