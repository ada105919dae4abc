// First: on an older Node.js this import throws the one clear error (see node-guard.ts).
import './node-guard.js';

export {
  type CollectorOptions,
  collectDriverMetrics,
  type DriverCollector,
} from './collectors/collect-driver.js';
export {
  collectSessionMetrics,
  type SessionCollector,
  type SessionCollectorOptions,
} from './collectors/collect-sessions.js';
export { type MetricsRequestHandler, metricsHandler } from './exporter/handler.js';
export { type MetricsServer, type ServeMetricsOptions, serveMetrics } from './exporter/serve.js';
export { type EventLogger, logEvents } from './logging/log-events.js';
export { KNOWN_ERROR_CODES } from './middleware/error-codes.js';
export { DEFAULT_DURATION_BUCKETS } from './middleware/operation-metrics.js';
export {
  type MetricsMiddleware,
  type MetricsOptions,
  metricsMiddleware,
  type WithMetrics,
  withMetrics,
} from './middleware/with-metrics.js';
