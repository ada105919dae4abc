import { execa } from 'execa';

/*
 * Some tests run the driver from another process (re-attach after a SIGKILL), which loads the
 * built package: build it first so those never test stale code.
 */
export default async function setup(): Promise<void> {
  await execa('tsdown', ['--log-level', 'warn'], {
    cwd: new URL('..', import.meta.url),
    preferLocal: true,
    stdio: 'inherit',
  });
}
