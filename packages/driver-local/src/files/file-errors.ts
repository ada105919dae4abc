import { ConfigurationError, ERROR_BRAND, FileNotFoundError, FileSystemError } from '@berth/core';

/** Why a file operation was refused rather than done. */
export type UnsafeReason =
  /** A symbolic link (or a file swapped for one) where a directory or the file itself was named. */
  | 'link'
  /** /proc, /dev or /sys: the kernel's interfaces, not files of the container. */
  | 'kernel'
  /** An archive member named to land outside the directory, or below a link of its own. */
  | 'archive'
  /** A set-user-ID or set-group-ID file that would run as someone the container is not. */
  | 'privilege';

/**
 * A file operation refused because doing it could reach past what the container itself may
 * reach. Nothing was read or changed for it.
 */
export class UnsafeFileError extends FileSystemError {
  static override readonly [ERROR_BRAND]: string = '@berth/driver-local/UnsafeFileError';

  constructor(
    readonly reason: UnsafeReason,
    message: string,
  ) {
    super(message, {}, 'UNSAFE_FILE');
  }
}

export function linkRefused(path: string): UnsafeFileError {
  return new UnsafeFileError(
    'link',
    `${path} is a symbolic link: the local driver never follows a link in a container's files (name what it points to instead)`,
  );
}

/** What the file system said about `path`, as Berth's errors; anything else stays as it is. */
export function fileError(error: unknown, containerId: string, path: string): unknown {
  if (!isErrno(error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const options = { cause: error };
  switch (code) {
    case 'ENOENT':
      return new FileNotFoundError(containerId, path, options);
    case 'ELOOP':
      return linkRefused(path);
    case 'EROFS':
      return new FileSystemError(`Read-only file system: ${path}`, options);
    case 'ENOTEMPTY':
      return new FileSystemError(
        `Directory not empty: ${path} (pass { recursive: true } to remove it and what it holds)`,
        options,
      );
    case 'EISDIR':
      return new ConfigurationError(`${path} is a directory`, [], options);
    case 'ENOTDIR':
      return new ConfigurationError(`${path} is not a directory`, [], options);
    case 'EACCES':
    case 'EPERM':
      return new FileSystemError(
        `Permission denied: ${path} (${(error as Error).message})`,
        options,
      );
    case 'EBUSY':
      return new FileSystemError(`${path} is a mount point and cannot be removed`, options);
    case 'ENOSPC':
    case 'EDQUOT':
      return new FileSystemError(`No space left on device: ${path}`, options);
    default:
      return new FileSystemError(`${path}: ${(error as Error).message}`, options);
  }
}

/** Runs `body`, turning what the file system said into Berth's errors about `path`. */
export async function asFileError<T>(
  containerId: string,
  path: string,
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw fileError(error, containerId, path);
  }
}

/** An error from a system call (Node's have an errno; Berth's do not). */
export function isErrno(error: unknown, code?: string): error is NodeJS.ErrnoException {
  const errno = error as NodeJS.ErrnoException | undefined;
  return typeof errno?.errno === 'number' && (code === undefined || errno.code === code);
}
