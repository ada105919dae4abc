export { describeDriverConformance, type GroupDefinition, type GroupTest } from './conformance.js';
export type {
  ConformanceGroup,
  ConformanceOptions,
  DriverFactory,
  SecurityConformanceOptions,
} from './options.js';
export type { SuiteContext } from './support.js';
