import { BUILTIN_DRIVERS, CONTRACT_VERSION } from '@berth/core';
import { cliManifest, findPackage } from '../driver/packages.js';
import { ExitCode } from '../errors/exit-codes.js';
import type { CommandHandler } from '../runtime/context.js';

export interface InstalledDriver {
  name: string;
  package: string;
  version: string;
}

/** The built-in drivers whose packages are installed, read from package.json, none loaded. */
export function installedDrivers(cwd: string): InstalledDriver[] {
  const drivers: InstalledDriver[] = [];
  for (const [name, pkg] of Object.entries(BUILTIN_DRIVERS)) {
    const found = findPackage(pkg, cwd);
    if (found) drivers.push({ name, package: pkg, version: found.version });
  }
  return drivers;
}

export const versionCommand: CommandHandler = async (ctx) => {
  const core = findPackage('@berth/core', ctx.cwd);
  const report = {
    cli: cliManifest().version ?? 'unknown',
    core: { version: core?.version ?? 'unknown', contract: CONTRACT_VERSION },
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    drivers: installedDrivers(ctx.cwd),
  };
  if (ctx.out.json) {
    ctx.out.document(report);
    return ExitCode.OK;
  }
  const { style } = ctx.out;
  const drivers = report.drivers.map((d) => `${d.name} (${d.package} ${d.version})`);
  ctx.out.line(`${style.bold('berth')} ${report.cli}`);
  ctx.out.line(`  contract  ${report.core.contract} (@berth/core ${report.core.version})`);
  ctx.out.line(`  node      ${report.node} (${report.platform})`);
  ctx.out.line(
    `  drivers   ${drivers.length > 0 ? drivers.join(', ') : style.warn('none installed')}`,
  );
  return ExitCode.OK;
};
