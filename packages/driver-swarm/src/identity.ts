import packageJson from '../package.json' with { type: 'json' };

/* The driver's name and version, as labels, instances and the contract report them. */

export const DRIVER_NAME = 'swarm';
export const DRIVER_VERSION: string = packageJson.version;
