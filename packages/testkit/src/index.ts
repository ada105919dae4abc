// First: on an older Node.js this import throws the one clear error (see node-guard.ts).
import './node-guard.js';

export { describeDriverConformance, type GroupDefinition, type GroupTest } from './conformance.js';
export type {
  ConformanceGroup,
  ConformanceOptions,
  DriverFactory,
  SecurityConformanceOptions,
} from './options.js';
export { eventually, type PollOptions, poll, type SuiteContext } from './support.js';
