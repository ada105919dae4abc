import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import {
  ConfigurationError,
  ContainerNotFoundError,
  DriverError,
  FileNotFoundError,
  FileSystemError,
  type FileType,
} from '@berth/core';
import type { PrimitiveContext } from '@berth/core/kit';
import type Dockerode from 'dockerode';
import { type EngineOperation, engineMessage, statusOf } from '../engine/error-mapping.js';
import type { EngineSession } from '../engine/session.js';

/*
 * The engine's archive endpoint, the only way into a container's files that needs no process in
 * it (so it works on a stopped one). The engine resolves every path, and every link in it, in
 * the container's root, and unpacks archives chrooted there: nothing reaches the host.
 */

/** One container, checked as Berth's, as every file operation on it sees it. */
export interface FilesTarget {
  readonly session: EngineSession;
  /** As the caller gave it: what errors name. */
  readonly id: string;
  /** The engine's full id of what was checked: what requests name. */
  readonly engineId: string;
  readonly info: Dockerode.ContainerInspectInfo;
  readonly signal: AbortSignal | undefined;
}

export async function filesTarget(
  session: EngineSession,
  id: string,
  ctx: PrimitiveContext,
): Promise<FilesTarget> {
  ctx.signal?.throwIfAborted();
  const info = await session.inspectOrThrow(id, ctx.signal);
  return { session, id, engineId: info.Id, info, signal: ctx.signal };
}

/** What HEAD says of one path: the last link not followed, the ones before it followed. */
export interface PathStat {
  type: FileType;
  /** Permission bits with setuid, setgid and sticky. */
  mode: number;
  size: number;
  modifiedAt: Date;
  /** For a link: where it leads, resolved in the container (not the link's text). */
  linkTarget: string;
}

// Go's os.FileMode, as the engine sends it: the type in the high bits, above the permissions.
const GO = {
  dir: 31,
  symlink: 27,
  device: 26,
  pipe: 25,
  socket: 24,
  setuid: 23,
  setgid: 22,
  charDevice: 21,
  sticky: 20,
  irregular: 19,
} as const;

// Arithmetic, not bitwise: bit 31 makes a 32-bit JavaScript integer negative.
const bit = (mode: number, at: number) => Math.floor(mode / 2 ** at) % 2 === 1;

export function fromGoMode(mode: number): { type: FileType; mode: number } {
  let type: FileType = 'file';
  if (bit(mode, GO.dir)) type = 'directory';
  else if (bit(mode, GO.symlink)) type = 'symlink';
  else if ([GO.device, GO.pipe, GO.socket, GO.charDevice, GO.irregular].some((b) => bit(mode, b))) {
    type = 'other';
  }
  const special =
    (bit(mode, GO.setuid) ? 0o4000 : 0) |
    (bit(mode, GO.setgid) ? 0o2000 : 0) |
    (bit(mode, GO.sticky) ? 0o1000 : 0);
  return { type, mode: (mode % 0o1000) | special };
}

const operation = (t: FilesTarget): EngineOperation => ({
  kind: 'container',
  op: 'other',
  id: t.id,
});

/** The fix for a write the engine refuses because the container's root is read-only. */
export function readOnlyRoot(t: FilesTarget, path: string, cause?: unknown): FileSystemError {
  return new FileSystemError(
    `Cannot change ${path} in container ${t.id}: its root filesystem is read-only (security.readOnly, the default). Write into a mounted volume, or create the container with security: { readOnly: false }.`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Where a write to `path` would be refused before anything is sent: a read-only root outside
 * any mount, or a read-only mount. Decided as the engine decides it (a path is in a mount when
 * it is the mount's target or below it).
 */
export function refusedWrite(t: FilesTarget, path: string): FileSystemError | undefined {
  const mounts = [...(t.info.Mounts ?? [])].sort(
    (a, b) => b.Destination.length - a.Destination.length,
  );
  const mount = mounts.find(
    (m) => path === m.Destination || path.startsWith(`${m.Destination.replace(/\/$/, '')}/`),
  );
  if (mount) {
    if (mount.RW) return undefined;
    return new FileSystemError(
      `Cannot change ${path} in container ${t.id}: the mount at ${mount.Destination} is read-only (readOnly: true in its volume mount).`,
    );
  }
  return t.info.HostConfig?.ReadonlyRootfs ? readOnlyRoot(t, path) : undefined;
}

/**
 * An archive call's failure as the contract's error. The engine answers 404 both for the
 * container and for the path; the other refusals come as 500s, which would otherwise read as
 * retryable engine failures.
 */
export function archiveError(t: FilesTarget, path: string, error: unknown): unknown {
  const cause = (error as { cause?: unknown } | null)?.cause ?? error;
  const status = statusOf(cause);
  if (status === undefined) return error;
  const message = engineMessage(cause);
  if (status === 404) {
    return /no such container/i.test(message)
      ? new ContainerNotFoundError(t.id, { cause })
      : new FileNotFoundError(t.id, path, { cause });
  }
  if (/rootfs is marked read-only/i.test(message)) return readOnlyRoot(t, path, cause);
  if (/volume is marked read-only/i.test(message)) {
    return new FileSystemError(`Cannot change ${path} in container ${t.id}: ${message}`, { cause });
  }
  if (/extraction point is not a directory/i.test(message)) {
    return new ConfigurationError(`${path} in container ${t.id} is not a directory`, [], {
      cause,
    });
  }
  const refused = /Error processing tar file\(exit status \d+\):\s*([\s\S]*)$/.exec(message);
  if (refused) {
    return new FileSystemError(
      `The engine refused the archive unpacked into ${path} in container ${t.id}: ${refused[1]?.trim()}`,
      { cause },
    );
  }
  return error;
}

/** HEAD: the path's type and mode, cheaply (no process, no archive); null when there is none. */
export async function headPath(t: FilesTarget, path: string): Promise<PathStat | null> {
  let response: IncomingMessage;
  try {
    response = await t.session.stream(
      {
        method: 'HEAD',
        path: t.session.path(t.engineId, '/archive'),
        query: { path },
        signal: t.signal,
      },
      operation(t),
    );
  } catch (error) {
    const mapped = archiveError(t, path, error);
    if (FileNotFoundError.isInstance(mapped)) return null;
    throw mapped;
  }
  response.resume();
  const header = response.headers['x-docker-container-path-stat'];
  if (typeof header !== 'string') {
    throw new DriverError(
      `The engine answered a stat of ${path} without X-Docker-Container-Path-Stat`,
      'ENGINE_ERROR',
      false,
    );
  }
  const stat = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as {
    size?: number;
    mode?: number;
    mtime?: string;
    linkTarget?: string;
  };
  const { type, mode } = fromGoMode(Number(stat.mode ?? 0));
  return {
    type,
    mode,
    size: Number(stat.size ?? 0),
    modifiedAt: new Date(stat.mtime ?? 0),
    linkTarget: stat.linkTarget ?? '',
  };
}

/** GET: the path as a tar stream, its first member the path's own name (a link not followed). */
export async function getArchive(t: FilesTarget, path: string): Promise<IncomingMessage> {
  try {
    return await t.session.stream(
      {
        method: 'GET',
        path: t.session.path(t.engineId, '/archive'),
        query: { path },
        signal: t.signal,
      },
      operation(t),
    );
  } catch (error) {
    throw archiveError(t, path, error);
  }
}

/**
 * PUT: unpacks `body` into directory `dir`. The members keep the archive's owners: the
 * engine's `copyUIDGID` looks the container's user up in the host's user database (Docker
 * 20.10), so ownership is decided in the archive instead. A directory is never replaced by a
 * file, nor a file by a directory (the engine would remove a whole tree for it).
 */
export async function putArchive(t: FilesTarget, dir: string, body: Readable): Promise<void> {
  try {
    await t.session.call(
      {
        method: 'PUT',
        path: t.session.path(t.engineId, '/archive'),
        query: { path: dir, noOverwriteDirNonDir: '1' },
        file: body,
        ok: [200],
        signal: t.signal,
      },
      operation(t),
    );
  } catch (error) {
    throw archiveError(t, dir, error);
  }
}
