import type { PrimitiveCapabilities } from '@berth/core/kit';

/** The parts of the engine's `/info` reply the capability probe reads. */
export interface EngineInfo {
  /** The engine's own id, stable across its restarts. */
  ID?: string;
  ServerVersion?: string;
  KernelVersion?: string;
  OSType?: string;
  Driver?: string;
  DriverStatus?: [string, string][] | null;
  MemoryLimit?: boolean;
  CpuCfsQuota?: boolean;
  PidsLimit?: boolean;
  /** Installed drivers: volume drivers may be named in a volume config. */
  Plugins?: { Volume?: string[] | null; Network?: string[] | null } | null;
}

/**
 * Whether StorageOpt `size` is enforced. overlay2 enforces it only on xfs (mounted with pquota,
 * which /info does not show: the engine then refuses the create, which still fails closed);
 * btrfs, zfs and devicemapper enforce it natively. Everything else, overlay2 on ext4 included,
 * would ignore or refuse it.
 */
export function storageSupportsSize(info: EngineInfo): boolean {
  const driver = info.Driver ?? '';
  if (['btrfs', 'zfs', 'devicemapper', 'windowsfilter'].includes(driver)) return true;
  if (driver === 'overlay2') {
    const backing = info.DriverStatus?.find(([key]) => key === 'Backing Filesystem')?.[1];
    return backing === 'xfs';
  }
  return false;
}

/** What this engine enforces, from its own report of its kernel features and storage driver. */
export function capabilitiesFromInfo(info: EngineInfo): PrimitiveCapabilities {
  const linux = (info.OSType ?? 'linux') === 'linux';
  return {
    cpu: info.CpuCfsQuota === true,
    memory: info.MemoryLimit === true,
    pids: info.PidsLimit === true,
    disk: storageSupportsSize(info),
    readOnlyRootfs: true,
    noNewPrivileges: linux,
    user: true,
    capabilityDrop: linux,
    networks: 'isolated',
    volumes: true,
    ports: true,
    exec: true,
    stats: true,
    logsFollow: true,
    healthchecks: true,
    // Windows containers take only SIGTERM and SIGKILL, and process-isolated ones (the server
    // default) cannot be paused: both are claimed for Linux containers alone.
    pause: linux,
    signals: linux,
  };
}
