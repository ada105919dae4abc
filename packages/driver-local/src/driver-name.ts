/** The name the local driver goes by: in the registry, on instances, volumes and networks. */
export const DRIVER_NAME = 'local';
