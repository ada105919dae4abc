import type { ConformanceOptions } from '@berth/testkit';
import { IMAGE } from './swarm.js';

/** What both swarms' conformance runs share. */
export const CONFORMANCE: ConformanceOptions = {
  image: IMAGE,
  timeoutMs: 90_000,
  // The archive API refuses every write to a read-only root: the files group runs with a
  // writable one. A container that was never started has no container on any node yet.
  files: { dir: '/tmp', config: { security: { readOnly: false } }, whenStopped: false },
  security: {
    // busybox nc has no -z; with stdin at its end it exits once connected.
    connect: (host, port) => ['sh', '-c', 'nc -w 2 "$0" "$1" </dev/null', host, String(port)],
    // A service's name resolves on its networks (DNS round robin: the task's own address).
    peerAddress: (peer) => peer.name,
  },
};
