/** Every Linux capability name, without the CAP_ prefix (capabilities(7)). */
export const LINUX_CAPABILITIES = [
  'AUDIT_CONTROL',
  'AUDIT_READ',
  'AUDIT_WRITE',
  'BLOCK_SUSPEND',
  'BPF',
  'CHECKPOINT_RESTORE',
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'IPC_LOCK',
  'IPC_OWNER',
  'KILL',
  'LEASE',
  'LINUX_IMMUTABLE',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'MKNOD',
  'NET_ADMIN',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_RAW',
  'PERFMON',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYSLOG',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_CHROOT',
  'SYS_MODULE',
  'SYS_NICE',
  'SYS_PACCT',
  'SYS_PTRACE',
  'SYS_RAWIO',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'WAKE_ALARM',
] as const;

export type LinuxCapability = (typeof LINUX_CAPABILITIES)[number];

/**
 * Capabilities that hand a sandboxed process control over the host or its neighbours. Adding
 * one needs the caller's explicit allow-list.
 */
export const DANGEROUS_CAPABILITIES: readonly LinuxCapability[] = [
  'SYS_ADMIN',
  'SYS_PTRACE',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_BOOT',
  'SYS_TIME',
  'NET_ADMIN',
  'NET_RAW',
  'DAC_READ_SEARCH',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'BPF',
  'PERFMON',
  'SYSLOG',
  'LINUX_IMMUTABLE',
  'MKNOD',
  'AUDIT_CONTROL',
  'SETFCAP',
  'CHECKPOINT_RESTORE',
];

const KNOWN = new Set<string>(LINUX_CAPABILITIES);

/** Accepts `NET_RAW`, `CAP_NET_RAW`, any case, and the Docker keyword `ALL`. */
export function normalizeCapabilityName(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

export function isLinuxCapability(name: string): boolean {
  const normalized = normalizeCapabilityName(name);
  return normalized === 'ALL' || KNOWN.has(normalized);
}
