import { describe } from 'vitest';
import { defineDriverSuite } from './support/driver-suite.js';
import { LOCAL } from './support/local.js';

// Two files, each with a state directory of its own, run side by side; within one, tests run
// in turn, since the local driver supports one process at a time per state directory.
describe('berth run on the local driver', () => {
  defineDriverSuite(LOCAL, ['run']);
});
