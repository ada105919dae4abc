// One container's create → start → wait → logs → remove through the local driver, in a fresh
// process, with the default (full) isolation.
import { LocalDriver } from '../../dist/index.js';
import { report } from './report.mjs';

const driver = new LocalDriver({ stateDir: process.env.BENCH_STATE_DIR });
const c = await driver.createContainer({
  sessionId: 'bench-cold',
  image: 'host',
  command: JSON.parse(process.env.BENCH_PROGRAM),
});
await driver.startContainer(c.id);
await driver.waitContainer(c.id);
const logs = await driver.getContainerLogs(c.id);
if (!logs.includes('hello') || !logs.includes('world')) throw new Error(`unexpected: ${logs}`);
await driver.removeContainer(c.id);
await driver.close();
report();
