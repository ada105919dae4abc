// First: on an older Node.js this import throws the one clear error (see node-guard.ts).
import './node-guard.js';

export { type BindPolicy, bindSourceProblem, DENIED_BIND_SOURCES } from './bind-policy.js';
export { createDriverConfig, createResourceLimits, createSecurityOptions } from './builders.js';
export {
  formatLogLines,
  matchesContainerFilter,
  selectLogLines,
} from './container-filter.js';
export { containerUrl, hostAddress, publishedPort } from './container-url.js';
export { CONTRACT_VERSION, type ContractVersion } from './contract-version.js';
export {
  DEFAULT_CPU,
  DEFAULT_MEMORY_MB,
  DEFAULT_PIDS,
  DEFAULT_USER,
  defaultResourceLimits,
  defaultSecurityOptions,
} from './defaults.js';
export type {
  DriverEntry,
  DriverFactory,
  DriverOptionsByName,
  DriverProbeContext,
  OptionKeys,
} from './driver-entry.js';
export { checkEnforcement, unenforcedFeatures } from './enforcement.js';
export {
  AuthenticationError,
  AuthorizationError,
  ConfigurationError,
  ConflictError,
  ContainerCreationError,
  ContainerExpiredError,
  ContainerNotFoundError,
  ContainerNotReadyError,
  ContainerRemoveError,
  ContainerStartError,
  ContainerStopError,
  DriverError,
  type DriverErrorOptions,
  DriverHealthError,
  ERROR_BRAND,
  FileNotFoundError,
  FileSystemError,
  getErrorCode,
  getErrorMessage,
  isAbortError,
  isDriverError,
  isRetryableError,
  isTransportError,
  LogLinesLostError,
  NetworkCreationError,
  NetworkError,
  NetworkNotFoundError,
  NetworkRemoveError,
  type NotReadyReason,
  ProcessNotFoundError,
  ResourceLimitError,
  TimeoutError,
  toDriverError,
  type UnsupportedFeature,
  UnsupportedFeatureError,
  type ValidationIssue,
  VolumeCreationError,
  VolumeNotFoundError,
  VolumeRemoveError,
} from './errors/index.js';
export { withEvents } from './event-middleware.js';
export {
  type BerthEventListener,
  type BerthEventMap,
  type BerthEventName,
  BerthEvents,
  type BerthEventsOptions,
  TypedEvents,
  type TypedEventsOptions,
} from './events.js';
export {
  type ExecValidationOptions,
  parseExecCommand,
  parseExecOptions,
} from './exec-validation.js';
export { parseContainerPath } from './files/file-paths.js';
export type {
  FileData,
  FileInfo,
  FileType,
  MakeDirOptions,
  ReadFileOptions,
  RemoveFileOptions,
  WriteFileOptions,
} from './files/file-types.js';
export { packTar, readTar, type TarEntry, type TarMember } from './files/tar.js';
export {
  DANGEROUS_CAPABILITIES,
  isLinuxCapability,
  LINUX_CAPABILITIES,
  type LinuxCapability,
  normalizeCapabilityName,
} from './linux-capabilities.js';
export {
  type DriverMiddleware,
  type NextFunction,
  type OperationCall,
  wrapDriver,
} from './middleware.js';
export { editDistance } from './nearest-name.js';
export { isObjectId, OBJECT_ID_PATTERN, requireObjectId } from './object-ids.js';
export {
  DRIVER_OPERATIONS,
  type DriverOperation,
  isDriverOperation,
  type OperationArgs,
  type OperationResult,
  signalOf,
  withSignal,
} from './operations.js';
export { callSignal, plainData } from './plain-data.js';
export type {
  ContainerProcess,
  ProcessExit,
  ProcessInfo,
  ProcessOutput,
  SpawnOptions,
} from './process/process-types.js';
export { DEFAULT_MAX_OUTPUT_BYTES, parseSpawnOptions } from './process/spawn-options.js';
export {
  type AllCondition,
  type AnyCondition,
  type CommandCondition,
  type ExitCondition,
  type HealthyCondition,
  type HttpCondition,
  type LogCondition,
  type PortCondition,
  type ReadyCondition,
  waitFor,
} from './readiness/conditions.js';
export {
  type ReadyResult,
  type WaitUntilReadyOptions,
  waitUntilReady,
} from './readiness/wait-until-ready.js';
export {
  BUILTIN_DRIVERS,
  type BuiltinDriverName,
  createDriver,
  type DetectOptions,
  type DriverOptionsFor,
  detectDriver,
  type RegistryOptions,
  registerDriver,
} from './registry.js';
export {
  CapabilitiesSchema,
  type ContainerConfig,
  type ContainerConfigInput,
  ContainerConfigSchema,
  type ContainerFilter,
  ContainerFilterSchema,
  type ContainerSignal,
  ContainerSignalSchema,
  type ContainerState,
  ContainerStateSchema,
  type ContainerStatus,
  ContainerStatusSchema,
  type ExecOptions,
  ExecOptionsSchema,
  type Healthcheck,
  type HealthcheckInput,
  HealthcheckSchema,
  type HealthStatus,
  HealthStatusSchema,
  type Lifetime,
  type LifetimeInput,
  LifetimeSchema,
  type LogOptions,
  LogOptionsSchema,
  MAX_LIFETIME_MS,
  type NetworkConfig,
  type NetworkConfigInput,
  NetworkConfigSchema,
  type Placement,
  type PlacementConstraint,
  PlacementConstraintSchema,
  type PlacementInput,
  PlacementSchema,
  type PortMapping,
  type PortMappingInput,
  PortMappingSchema,
  type ResourceLimits,
  type ResourceLimitsInput,
  ResourceLimitsSchema,
  type RestartPolicy,
  RestartSchema,
  type SecurityOptions,
  type SecurityOptionsInput,
  SecurityOptionsSchema,
  type VolumeConfig,
  type VolumeConfigInput,
  VolumeConfigSchema,
  type VolumeMount,
  type VolumeMountInput,
  VolumeMountSchema,
} from './schemas.js';
export { CONTAINER_SIGNAL_NUMBERS } from './signal-numbers.js';
export type {
  CleanupFilter,
  CleanupResult,
  ContainerDriver,
  ContainerInstance,
  ContainerLifetime,
  ContainerNode,
  ContainerStats,
  DriverCapabilities,
  DriverHealth,
  EnforcementMode,
  ExecCallOptions,
  ExecResult,
  GetLogsOptions,
  LogLine,
  Network,
  OperationOptions,
  PublishedPort,
  RemoveOptions,
  StopOptions,
  StreamLogsOptions,
  Volume,
  WaitResult,
} from './types.js';
export { MAX_USER_ID } from './user-spec.js';
export {
  containerConfigIssues,
  fail as throwConfigurationIssues,
  MAX_CPU_CORES,
  MIN_MEMORY_MB,
  parseContainerConfig,
  parseInput,
  parseLogOptions,
  parseResourceLimits,
  parseSecurityOptions,
  type ValidationOptions,
  validateContainerConfig,
  validateResourceLimits,
  validateSecurityOptions,
} from './validation.js';
