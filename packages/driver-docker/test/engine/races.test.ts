import { expect, it } from 'vitest';
import { describeEngine, docker, shell, useSession } from '../support/engine.js';

describeEngine('Docker driver under races', () => {
  const { driver, session } = useSession('races');

  it('converges parallel force-removes of one container on "removed"', async () => {
    for (let round = 0; round < 3; round++) {
      const { id } = await driver.createContainer(shell(session, 'sleep 300'));
      await driver.startContainer(id);
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => driver.removeContainer(id, { force: true })),
      );
      // Each either removed it or saw it removed: none failed with a removal error.
      for (const result of results) {
        if (result.status === 'rejected') {
          expect((result.reason as { code?: string }).code).toBe('CONTAINER_NOT_FOUND');
        }
      }
      expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
      await expect(docker.getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    }
  });
});

describeEngine('Docker driver when a create is aborted or fails', () => {
  const { driver, session } = useSession('aborts');

  it('leaves nothing behind, whenever the abort comes', async () => {
    const returned: string[] = [];
    const kept: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const controller = new AbortController();
      // From before the first request to after the last: 0 to ~40 ms.
      setTimeout(() => controller.abort(), attempt * 2);
      try {
        const c = await driver.createContainer(
          shell(session, 'true', { volumes: [{ source: `${session}-v${attempt}`, target: '/v' }] }),
          { signal: controller.signal },
        );
        returned.push(c.id);
        kept.push(`${session}-v${attempt}`);
      } catch {
        // Aborted: what it made must be gone.
      }
    }
    // What the engine holds for the session is exactly what the caller got back.
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`berth.session=${session}`] },
    });
    expect(left.map((c) => c.Id).sort()).toEqual([...returned].sort());
    const volumes = (await docker.listVolumes({ filters: { label: [`berth.session=${session}`] } }))
      .Volumes;
    expect(volumes.map((v) => v.Name).sort()).toEqual([...kept].sort());
    // Some of the tries were aborted half-way, or the test would prove nothing.
    expect(returned.length).toBeLessThan(20);
  });
});
