import { expect, it } from 'vitest';
import { ContainerEngine } from '../../src/engine-api.js';
import { DockerDriver } from '../../src/index.js';
import { describeEngine, docker, IMAGE, sessionId } from '../support/engine.js';

// Another Berth driver's containers on the same engine (a swarm's tasks on its manager node)
// carry Berth's labels too: the Docker driver must neither see, control nor clean them up.
describeEngine('Docker driver and other Berth drivers on the same engine', () => {
  it("leaves a container labelled as another driver's alone, and that driver's engine sees it", async () => {
    const session = sessionId('owner');
    const foreign = await docker.createContainer({
      Image: IMAGE,
      Cmd: ['sleep', '60'],
      Labels: { 'berth.managed': 'true', 'berth.driver': 'swarm', 'berth.session': session },
      HostConfig: { NetworkMode: 'none' },
    });
    try {
      await foreign.start();
      const driver = new DockerDriver();
      expect(await driver.getContainer(foreign.id)).toBeNull();
      expect(await driver.listContainers({ sessionId: session })).toEqual([]);
      await expect(driver.exec(foreign.id, ['true'])).rejects.toMatchObject({
        code: 'CONTAINER_NOT_FOUND',
      });
      expect(await driver.cleanup({ all: true })).toMatchObject({ containers: 0 });
      expect((await foreign.inspect()).State.Running).toBe(true);

      // The engine layer another driver builds on sees exactly its own.
      const swarmSide = new ContainerEngine({}, 'swarm');
      const seen = await swarmSide.getContainer(foreign.id, { signal: undefined });
      expect(seen?.id).toBe(foreign.id);
      expect(
        await swarmSide.exec(
          foreign.id,
          ['sh', '-c', 'echo $0', 'inside'],
          {},
          { signal: undefined },
        ),
      ).toMatchObject({ exitCode: 0, stdout: 'inside\n' });
    } finally {
      await foreign.remove({ force: true });
    }
  });
});
