import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

describe('resource pool', () => {
  it('allocates, refuses with the reason, serves a waiting request on removal, and ends empty', async () => {
    const lines = (await runExample('resource-pool')).trim().split('\n');
    expect(lines).toEqual([
      'event: allocation-1 allocated to shop',
      'web runs with 1 core, 1024 MB (for shop)',
      'event: allocation-2 allocated to shop',
      'worker runs with 0.5 cores, 512 MB (for shop)',
      'state: 0.5 cores and 512 MB free, 1.5 cores and 1536 MB allocated',
      '  allocation-1 shop: 1 core, 1024 MB',
      '  allocation-2 shop: 0.5 cores, 512 MB',
      "refused: 'reports' asks for 1 core of cpu, and the pool has 0.5 cores of cpu available. Pass wait: true to wait for it, release what is held, or ask for less.",
      'waiting: reports',
      'event: allocation-1 of shop released (container removed)',
      'event: allocation-3 allocated to reports',
      'batch runs with 1 core, 256 MB (for reports)',
      'state: 0.5 cores and 1280 MB free, 1.5 cores and 768 MB allocated',
      '  allocation-2 shop: 0.5 cores, 512 MB',
      '  allocation-3 reports: 1 core, 256 MB',
      'event: allocation-2 of shop released (container removed)',
      'event: allocation-3 of reports released (container removed)',
      'end: 2 cores and 2048 MB free, 0 allocations left',
    ]);
  });
});
