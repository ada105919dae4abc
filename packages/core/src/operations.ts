import type { ContainerDriver } from './types.js';

/** Every operation of the contract, with the index of its trailing options argument. */
export const DRIVER_OPERATIONS = {
  createContainer: 1,
  startContainer: 1,
  stopContainer: 1,
  restartContainer: 1,
  removeContainer: 1,
  getContainer: 1,
  listContainers: 1,
  getContainerLogs: 1,
  streamLogs: 1,
  waitContainer: 1,
  exec: 2,
  signalContainer: 2,
  pauseContainer: 1,
  resumeContainer: 1,
  spawn: 2,
  listProcesses: 1,
  attach: 2,
  writeFile: 3,
  readFile: 2,
  readFileStream: 2,
  listFiles: 2,
  removeFile: 2,
  makeDir: 2,
  upload: 3,
  download: 2,
  extendTtl: 2,
  getContainerStats: 1,
  healthCheck: 0,
  isContainerHealthy: 1,
  createVolume: 1,
  removeVolume: 1,
  listVolumes: 0,
  createNetwork: 1,
  removeNetwork: 1,
  listNetworks: 0,
  capabilities: 0,
  cleanup: 1,
} as const satisfies Record<
  Exclude<
    keyof ContainerDriver,
    'name' | 'version' | 'contractVersion' | 'close' | typeof Symbol.asyncDispose
  >,
  number
>;

export type DriverOperation = keyof typeof DRIVER_OPERATIONS;

export type OperationArgs<Op extends DriverOperation> = Parameters<ContainerDriver[Op]>;
export type OperationResult<Op extends DriverOperation> = Op extends 'streamLogs'
  ? ReturnType<ContainerDriver['streamLogs']>
  : Awaited<ReturnType<ContainerDriver[Op]>>;

export function isDriverOperation(name: PropertyKey): name is DriverOperation {
  return typeof name === 'string' && Object.hasOwn(DRIVER_OPERATIONS, name);
}

/** The AbortSignal passed to an operation, wherever its options argument sits. */
export function signalOf(
  operation: DriverOperation,
  args: readonly unknown[],
): AbortSignal | undefined {
  const options = args[DRIVER_OPERATIONS[operation]];
  if (typeof options === 'object' && options !== null && 'signal' in options) {
    const signal = (options as { signal?: unknown }).signal;
    return signal instanceof AbortSignal ? signal : undefined;
  }
  return undefined;
}

/** A copy of `args` whose options argument carries `signal` instead of the original one. */
export function withSignal<A extends readonly unknown[]>(
  operation: DriverOperation,
  args: A,
  signal: AbortSignal,
): A {
  const index = DRIVER_OPERATIONS[operation];
  const copy = [...args];
  while (copy.length < index) copy.push(undefined);
  const options = copy[index];
  copy[index] = { ...(typeof options === 'object' && options !== null ? options : {}), signal };
  return copy as unknown as A;
}
