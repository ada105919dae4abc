/**
 * Secure defaults: half a CPU, 512 MB and 100 processes; an unprivileged user, a read-only root
 * filesystem, no new privileges and every capability dropped. Factories, so no caller ever
 * shares a mutable default.
 */

export const DEFAULT_CPU = 0.5;
export const DEFAULT_MEMORY_MB = 512;
export const DEFAULT_PIDS = 100;
/** `nobody:nogroup` by number: exists in any image, needs no /etc/passwd entry. */
export const DEFAULT_USER = '65534:65534';

export function defaultResourceLimits(): { cpu: number; memory: number; pids: number } {
  return { cpu: DEFAULT_CPU, memory: DEFAULT_MEMORY_MB, pids: DEFAULT_PIDS };
}

export function defaultSecurityOptions(): {
  readOnly: boolean;
  noNewPrivileges: boolean;
  user: string;
  capabilities: { drop: string[]; add: string[] };
} {
  return {
    readOnly: true,
    noNewPrivileges: true,
    user: DEFAULT_USER,
    capabilities: { drop: ['ALL'], add: [] },
  };
}
