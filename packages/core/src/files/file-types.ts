import type { OperationOptions } from '../types.js';

export type FileType = 'file' | 'directory' | 'symlink' | 'other';

export interface FileInfo {
  name: string;
  /** Absolute path inside the container. */
  path: string;
  type: FileType;
  size: number;
  /** Permission bits (e.g. 0o644), without the file type. */
  mode: number;
  uid: number;
  gid: number;
  modifiedAt: Date;
  /** Where a symlink points, as stored (never followed). */
  linkTarget?: string;
}

export interface WriteFileOptions extends OperationOptions {
  /** Permission bits; default 0o644. */
  mode?: number;
  /** `uid:gid` (numbers) owning it; default the container's user. */
  owner?: string;
}

export interface MakeDirOptions extends OperationOptions {
  /** Default 0o755. */
  mode?: number;
  owner?: string;
  /** Make missing parents too; default true. */
  parents?: boolean;
}

export interface ReadFileOptions extends OperationOptions {
  /** Most bytes readFile returns (default 64 MiB); above it, ResourceLimitError: use readFileStream. */
  maxBytes?: number;
}

export interface RemoveFileOptions extends OperationOptions {
  /** Remove a directory and everything in it. */
  recursive?: boolean;
  /** No error when it does not exist. */
  force?: boolean;
}

/** What writeFile takes: bytes, text (UTF-8), or a stream of bytes. */
export type FileData = string | Uint8Array | AsyncIterable<Uint8Array>;
