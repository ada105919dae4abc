import { describe } from 'vitest';
import { defineDriverSuite } from './support/driver-suite.js';
import { LOCAL } from './support/local.js';

describe('berth exec, ps, logs, stop, rm and cleanup on the local driver', () => {
  defineDriverSuite(LOCAL, ['manage']);
});
