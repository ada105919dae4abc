export { createMemoryDriver, MEMORY_DRIVER_NAME, MEMORY_DRIVER_VERSION } from './memory-driver.ts';
