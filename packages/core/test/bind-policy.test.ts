import { describe, expect, it } from 'vitest';
import { bindSourceProblem } from '../src/index.js';

describe('bind policy', () => {
  it('allows nothing without allowed roots, and only sources inside them', () => {
    expect(bindSourceProblem('/srv/a', '/srv/a', { allowedRoots: [] })).toContain('allowedRoots');
    expect(bindSourceProblem('/srv/a', '/srv/a', { allowedRoots: ['/srv'] })).toBeUndefined();
    expect(bindSourceProblem('/srv/a', '/srvx/a', { allowedRoots: ['/srv'] })).toContain('outside');
  });

  it('never allows the root, system, kernel, engine or private directories, or what holds them', () => {
    const policy = { allowedRoots: ['/'], privateDirs: ['/data/berth'] };
    for (const source of [
      '/',
      '/etc',
      '/etc/ssl',
      '/proc/1',
      '/run/docker.sock',
      '/var/run',
      '/var',
      '/var/lib/docker/volumes',
      '/data',
      '/data/berth/x',
    ]) {
      expect(bindSourceProblem(source, source, policy)).toContain('never mounted');
    }
    expect(bindSourceProblem('/srv/app', '/srv/app', policy)).toBeUndefined();
  });
});
