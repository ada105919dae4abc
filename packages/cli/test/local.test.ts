import { describe } from 'vitest';
import { defineDriverSuite } from './support/driver-suite.js';

// The local driver runs host programs in a sandbox of their own; the image is only recorded.
describe('berth on the local driver', () => {
  defineDriverSuite({
    driver: 'local',
    image: 'host',
    // Ports cannot be published by the local driver: strict enforcement refuses the create.
    failingRun: { args: ['-p', '8080:80', 'host', '--', 'true'], error: 'UnsupportedFeatureError' },
  });
});
