import packageJson from '../package.json' with { type: 'json' };

/*
 * The driver's name and version, as labels, instances and the contract report them. The only
 * read of package.json: the bundler inlines the version, so the built package needs no file
 * lookup at run time.
 */

export const DRIVER_NAME = 'docker';
export const DRIVER_VERSION: string = packageJson.version;
