import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

describe('driver selection', () => {
  it('lands requests on different drivers and lists why none fits the last one', async () => {
    const lines = (await runExample('driver-selection')).trim().split('\n');
    expect(lines).toEqual([
      'order: local, docker, remote',
      'scratch build, writable root, 1 core -> local',
      'service, read-only root (the default) -> docker (passed over local: cannot enforce readOnlyRootfs (security.readOnly))',
      'writable root, 3 cores -> docker (passed over local: asks for 3 cores of cpu, more than its limit of 2 cores of cpu)',
      'isolated network needed -> docker (passed over local: needs isolated networks, and it has logical ones only)',
      '8 cores -> no driver (retryable: true)',
      "No configured driver fits the container of image 'alpine:3':",
      '  - local: asks for 8 cores of cpu, more than its limit of 2 cores of cpu; asks for 4096 MB of memory, more than its limit of 2048 MB of memory',
      '  - docker: asks for 8 cores of cpu, more than its limit of 4 cores of cpu',
      '  - remote: its capabilities() call failed: mock-docker is down (fault injection): capabilities failed',
      'Ask for what one of them gives (less cpu, memory, disk or pids; without what it cannot enforce, e.g. security.readOnly: false where a writable root filesystem is acceptable), or configure a driver that fits.',
    ]);
  });
});
