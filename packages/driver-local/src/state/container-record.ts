/*
 * container.json: everything decided about a container when it was created. Loaded by the
 * benchmark straight from source: local imports name .ts files or are types only.
 */
import type { ContainerConfig, UnsupportedFeature } from '@berth/core';
import type { BindMount, DirectoryOverlay, RootEntry } from '../isolation/sandbox-command.js';
import type { ResolvedUser } from '../isolation/user-spec.js';
import {
  isArrayOf,
  isBoolean,
  isMapOf,
  isNumber,
  isObject,
  isOptional,
  isString,
  isStringArray,
} from './json-shapes.ts';

export interface ContainerRecord {
  id: string;
  name: string;
  sessionId: string;
  tenantId?: string;
  image: string;
  createdAt: string;
  labels: Record<string, string>;
  config: ContainerConfig;
  /**
   * 0 as created; raised only by a start that failed (earlier versions raised it on every
   * start). The next start takes one more than this or the run in run.json, whichever is larger.
   */
  run: number;
  /** Program and arguments: entrypoint followed by command. */
  command: string[];
  /** Working directory as the process sees it. */
  cwd: string;
  env: Record<string, string>;
  user: ResolvedUser;
  /** Supplementary groups: those of the volumes it mounts. */
  groups?: number[];
  /** The user is an identity of the container's own, handed out by the driver (and given back on removal). */
  ownIdentity?: boolean;
  /** The network namespace of its internal network, when it is on one. */
  netns?: string;
  mounts: BindMount[];
  overlays: DirectoryOverlay[];
  unenforced: UnsupportedFeature[];
}

function isUser(value: unknown): value is ResolvedUser {
  return isObject(value) && isNumber(value.uid) && isNumber(value.gid);
}

function isBindMount(value: unknown): value is BindMount {
  return (
    isObject(value) && isString(value.source) && isString(value.target) && isBoolean(value.readOnly)
  );
}

function isRootEntry(value: unknown): value is RootEntry {
  return (
    isObject(value) &&
    isString(value.name) &&
    (value.kind === 'dir' || value.kind === 'file' || value.kind === 'symlink') &&
    isOptional(value.target, isString)
  );
}

function isOverlay(value: unknown): value is DirectoryOverlay {
  return isObject(value) && isString(value.dir) && isArrayOf(value.entries, isRootEntry);
}

function isUnenforced(value: unknown): value is UnsupportedFeature {
  return (
    isObject(value) &&
    isString(value.feature) &&
    isString(value.path) &&
    isOptional(value.reason, isString)
  );
}

/**
 * The config as the kit parsed it at create time, checked only as far as the driver reads it
 * without looking first: parsing it again would cost more than the rest of a read, and would
 * refuse the Berth labels the kit added.
 */
function isStoredConfig(value: unknown): value is ContainerConfig {
  return (
    isObject(value) &&
    Array.isArray(value.volumes) &&
    isObject(value.resources) &&
    isObject(value.security) &&
    isOptional(value.healthcheck, isObject) &&
    isOptional(value.name, isString) &&
    isOptional(value.network, isString)
  );
}

export function isContainerRecord(value: unknown): value is ContainerRecord {
  return (
    isObject(value) &&
    isString(value.id) &&
    isString(value.name) &&
    isString(value.sessionId) &&
    isOptional(value.tenantId, isString) &&
    isString(value.image) &&
    isString(value.createdAt) &&
    isMapOf(value.labels, isString) &&
    isStoredConfig(value.config) &&
    isNumber(value.run) &&
    isStringArray(value.command) &&
    isString(value.cwd) &&
    isMapOf(value.env, isString) &&
    isUser(value.user) &&
    isOptional(value.groups, (groups) => isArrayOf(groups, isNumber)) &&
    isOptional(value.ownIdentity, isBoolean) &&
    isOptional(value.netns, isString) &&
    isArrayOf(value.mounts, isBindMount) &&
    isArrayOf(value.overlays, isOverlay) &&
    isArrayOf(value.unenforced, isUnenforced)
  );
}
