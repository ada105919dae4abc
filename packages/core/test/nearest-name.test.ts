import { describe, expect, it } from 'vitest';
import { editDistance, nearestName } from '../src/nearest-name.js';

describe('nearestName', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('docker', 'dokcer')).toBe(1);
    expect(editDistance('local', 'lcal')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('finds the closest candidate within typo distance, ignoring case', () => {
    const options = ['stateDir', 'stopTimeout', 'allowedRoots'];
    expect(nearestName('statedir', options)).toBe('stateDir');
    expect(nearestName('allowedRoot', options)).toBe('allowedRoots');
    expect(nearestName('colour', options)).toBeUndefined();
    expect(nearestName('x'.repeat(10_000), options)).toBeUndefined();
  });
});
