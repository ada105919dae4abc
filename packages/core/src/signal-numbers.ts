import type { ContainerSignal } from './schemas.js';

/**
 * The Linux numbers of the signals a container may be sent: a process ended by signal n exits
 * with 128 + n. Containers run on Linux whatever the host, so these are not the host's
 * `os.constants.signals` (SIGUSR1 is 30 on macOS, 10 in a container).
 */
export const CONTAINER_SIGNAL_NUMBERS: Readonly<Record<ContainerSignal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGTERM: 15,
  SIGWINCH: 28,
};
