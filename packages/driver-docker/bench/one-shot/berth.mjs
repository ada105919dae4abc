/** One container's create → start → wait → logs → remove through Berth, in a fresh process. */
import { DockerDriver } from '../../dist/index.js';
import { report } from './report.mjs';

const driver = new DockerDriver();
const c = await driver.createContainer({
  sessionId: process.env.BENCH_SESSION ?? 'berth-bench-cold',
  image: process.env.BERTH_TEST_IMAGE ?? 'berth-test/busybox:latest',
  command: ['echo', 'hello'],
});
await driver.startContainer(c.id);
await driver.waitContainer(c.id);
if ((await driver.getContainerLogs(c.id)) !== 'hello\n') throw new Error('unexpected output');
await driver.removeContainer(c.id);
await driver.close();
report();
