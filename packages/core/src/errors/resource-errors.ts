import { ERROR_BRAND } from './brand.js';
import { DriverError, type DriverErrorOptions } from './driver-error.js';
import { shown } from './shown-id.js';

export class VolumeCreationError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/VolumeCreationError';

  constructor(
    readonly volumeName: string,
    message: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `Failed to create volume ${volumeName}: ${message}`,
      'VOLUME_CREATION_FAILED',
      true,
      options,
    );
  }
}

export class VolumeNotFoundError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/VolumeNotFoundError';

  constructor(
    readonly volumeId: string,
    options?: DriverErrorOptions,
  ) {
    super(`Volume not found: ${shown(volumeId)}`, 'VOLUME_NOT_FOUND', false, options);
  }
}

export class VolumeRemoveError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/VolumeRemoveError';

  constructor(
    readonly volumeId: string,
    message: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `Failed to remove volume ${volumeId}: ${message}`,
      'VOLUME_REMOVE_FAILED',
      false,
      options,
    );
  }
}

export class NetworkCreationError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/NetworkCreationError';

  constructor(
    readonly networkName: string,
    message: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `Failed to create network ${networkName}: ${message}`,
      'NETWORK_CREATION_FAILED',
      true,
      options,
    );
  }
}

export class NetworkNotFoundError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/NetworkNotFoundError';

  constructor(
    readonly networkId: string,
    options?: DriverErrorOptions,
  ) {
    super(`Network not found: ${shown(networkId)}`, 'NETWORK_NOT_FOUND', false, options);
  }
}

export class NetworkRemoveError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/NetworkRemoveError';

  constructor(
    readonly networkId: string,
    message: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `Failed to remove network ${networkId}: ${message}`,
      'NETWORK_REMOVE_FAILED',
      false,
      options,
    );
  }
}
