import type { DriverCapabilities } from '@berth/core';
import type { HostFingerprint } from '@berth/driver-local';

/** A capability the driver does not enforce on this host: why, and what would change that. */
export interface CapabilityGap {
  capability: string;
  reason: string;
  fix: string;
}

/** The capabilities the secure defaults rely on: without one, default containers are refused. */
export const DEFAULT_NEEDS = [
  'cpu',
  'memory',
  'pids',
  'readOnlyRootfs',
  'noNewPrivileges',
  'user',
  'capabilityDrop',
] as const;

/** The capabilities that are off: false, absent (volumeSize), or networks only logical. */
export function missing(caps: DriverCapabilities): string[] {
  const off = Object.entries(caps)
    .filter(([name, value]) => value === false || (name === 'networks' && value === 'logical'))
    .map(([name]) => name);
  if (caps.volumeSize === undefined) off.push('volumeSize');
  return off;
}

const LOCAL_HOST_SCRIPT = 'in the Berth repository: sudo bash scripts/local-host.sh';

/** Why the local driver lacks `capability` on this host, from what its fingerprint found. */
export function localGap(capability: string, host: HostFingerprint): CapabilityGap {
  const gap = (reason: string, fix: string): CapabilityGap => ({ capability, reason, fix });
  const notRoot = !host.isRoot;
  switch (capability) {
    case 'cpu':
    case 'memory':
    case 'pids':
      return gap(
        host.cgroups.reason ?? `the cgroup ${capability} controller cannot be used here`,
        notRoot
          ? 'run berth as root: the driver makes cgroups, which needs root'
          : `mount the cgroup ${capability} controller writable (cgroup v2: enable it in cgroup.subtree_control); ${LOCAL_HOST_SCRIPT}`,
      );
    case 'pause':
      return gap(
        host.cgroups.freezerReason ?? 'no cgroup freezer could be used',
        notRoot
          ? 'run berth as root with a cgroup freezer (v1 freezer, or cgroup v2)'
          : 'mount the cgroup freezer (v1) or use cgroup v2',
      );
    case 'readOnlyRootfs':
    case 'volumes':
    case 'files':
      return gap(
        host.bubblewrap.reason ?? 'bubblewrap cannot build a sandbox here',
        host.bubblewrap.path === undefined
          ? `install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; ${LOCAL_HOST_SCRIPT})`
          : notRoot
            ? 'run berth as root, or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)'
            : 'let bwrap make namespaces: a container or seccomp profile around berth forbids it',
      );
    case 'noNewPrivileges':
    case 'user':
    case 'capabilityDrop':
      return gap(
        host.setpriv.reason ?? 'setpriv cannot be used here',
        host.setpriv.path === undefined
          ? `install util-linux's setpriv (Debian/Ubuntu: apt-get install util-linux; ${LOCAL_HOST_SCRIPT})`
          : notRoot && capability !== 'noNewPrivileges'
            ? 'run berth as root: switching users and dropping capabilities need it'
            : 'check that setpriv runs here (it failed when tried)',
      );
    case 'networks':
      return gap(
        `internal networks are only records, not isolated: ${host.networks.reason ?? 'no network namespaces'}`,
        notRoot
          ? 'run berth as root with iproute2 and nsenter (util-linux)'
          : `install iproute2 and util-linux (apt-get install iproute2 util-linux; ${LOCAL_HOST_SCRIPT})`,
      );
    case 'disk':
      return gap(
        'the local driver has no disk quotas',
        'use the docker driver on a storage driver that limits size (overlay2 on xfs with pquota, btrfs, zfs)',
      );
    case 'volumeSize':
      return gap(
        'the local driver cannot cap a volume',
        'use the docker driver with a volume plugin that does',
      );
    case 'ports':
      return gap(
        "the local driver publishes no ports: a container listens on the host's network directly",
        'use the docker driver to publish ports',
      );
    case 'processes':
    case 'processAttach':
      return gap(
        'spawned processes are tracked through /proc, which only Linux has',
        'run berth on Linux',
      );
    default:
      return genericGap(capability);
  }
}

/** Why the Docker driver lacks `capability` on this engine, from what /info reports. */
export function dockerGap(capability: string): CapabilityGap {
  const gap = (reason: string, fix: string): CapabilityGap => ({ capability, reason, fix });
  switch (capability) {
    case 'cpu':
      return gap(
        "the engine's kernel has no CFS quota (CpuCfsQuota false in docker info)",
        'enable the cpu cgroup controller on the engine host',
      );
    case 'memory':
      return gap(
        "the engine's kernel has no memory cgroup (MemoryLimit false in docker info)",
        'boot the engine host with cgroup_enable=memory swapaccount=1',
      );
    case 'pids':
      return gap(
        "the engine's kernel has no pids cgroup (PidsLimit false in docker info)",
        'use a kernel with the pids cgroup controller',
      );
    case 'disk':
      return gap(
        "the engine's storage driver cannot limit a container's size (overlay2 can only on xfs with pquota)",
        'run the engine on overlay2 over xfs mounted with pquota, or on btrfs or zfs',
      );
    case 'volumeSize':
      return gap(
        "the engine's local volume driver cannot limit a volume's size",
        'use a volume plugin that enforces a size',
      );
    case 'networks':
      return gap(
        'an internal network was not seen to keep the host off it',
        "check the engine's firewall setup (dockerd must manage iptables)",
      );
    case 'noNewPrivileges':
    case 'capabilityDrop':
    case 'pause':
    case 'signals':
      return gap('the engine runs Windows containers', 'use an engine running Linux containers');
    case 'processes':
    case 'processAttach':
      return gap(
        'the engine is on another host: processes spawned there cannot be killed from here',
        "run berth on the engine's host",
      );
    case 'lifetimes':
      return gap(
        'the lifetime keeper cannot reach the engine with these connection options',
        'connect through DOCKER_HOST or a socket path, with TLS material as PEM text',
      );
    default:
      return genericGap(capability);
  }
}

export function genericGap(capability: string): CapabilityGap {
  return {
    capability,
    reason: 'the driver does not enforce it on this host',
    fix: "see the driver's README for what it needs",
  };
}
