/**
 * Error classes of the contract. Codes and default `retryable` flags are part of the public
 * contract: retry and circuit-breaking code decide on them, never on message text.
 */

export { ERROR_BRAND } from './brand.js';
export {
  getErrorCode,
  getErrorMessage,
  isAbortError,
  isDriverError,
  isRetryableError,
  isTransportError,
  toDriverError,
} from './classify.js';
export {
  ContainerCreationError,
  ContainerExpiredError,
  ContainerNotFoundError,
  ContainerNotReadyError,
  ContainerRemoveError,
  ContainerStartError,
  ContainerStopError,
  LogLinesLostError,
  type NotReadyReason,
} from './container-errors.js';
export {
  ConfigurationError,
  DriverError,
  type DriverErrorOptions,
  type ValidationIssue,
} from './driver-error.js';
export {
  AuthenticationError,
  AuthorizationError,
  ConflictError,
  DriverHealthError,
  FileNotFoundError,
  FileSystemError,
  NetworkError,
  ProcessNotFoundError,
  ResourceLimitError,
  TimeoutError,
  type UnsupportedFeature,
  UnsupportedFeatureError,
} from './operation-errors.js';
export {
  NetworkCreationError,
  NetworkNotFoundError,
  NetworkRemoveError,
  VolumeCreationError,
  VolumeNotFoundError,
  VolumeRemoveError,
} from './resource-errors.js';
