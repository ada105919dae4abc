import { arch, platform, release } from 'node:os';
import type { DriverCapabilities } from '@berth/core';
import { chooseDriver } from '../../driver/open.js';
import { ExitCode } from '../../errors/exit-codes.js';
import { describeError } from '../../errors/report.js';
import type { Output } from '../../output/output.js';
import { printable } from '../../output/sanitize.js';
import type { Style } from '../../output/style.js';
import type { CommandHandler } from '../../runtime/context.js';
import { installedDrivers } from '../version.js';
import { type CheckInput, checkDriver, type DriverReport } from './checks.js';

function enforced(caps: DriverCapabilities): string[] {
  return Object.entries(caps)
    .filter(([, value]) => value === true || value === 'isolated')
    .map(([name, value]) => (value === 'isolated' ? 'networks (isolated)' : name));
}

function statusWord(status: DriverReport['status'], style: Style): string {
  if (status === 'ready') return style.good(status);
  if (status === 'degraded') return style.warn(status);
  return style.bad(status);
}

/** The local driver's mechanisms as found, one line each. */
function hostLines(details: Record<string, unknown>): string[] {
  const cg = details.cgroups as
    | {
        version: number | null;
        enforced: Record<string, boolean>;
        freezer: boolean;
        reason?: string;
      }
    | undefined;
  const sp = details.setpriv as
    | { path?: string; noNewPrivileges: boolean; user: boolean; reason?: string }
    | undefined;
  const bw = details.bubblewrap as { path?: string; works: boolean; reason?: string } | undefined;
  const net = details.networks as { isolated: boolean; ip?: string; reason?: string } | undefined;
  if (!cg || !sp || !bw || !net) return [];
  const on = Object.entries(cg.enforced)
    .filter(([, v]) => v)
    .map(([k]) => k);
  return [
    `cgroups     ${cg.version === null ? 'none' : `v${cg.version}`}: ${on.length > 0 ? `${on.join(', ')} enforced` : 'nothing enforced'}${cg.freezer ? ', freezer works' : ''}`,
    `setpriv     ${sp.path ?? 'not installed'}${sp.path ? `: no-new-privs ${sp.noNewPrivileges ? 'yes' : 'no'}, user switch ${sp.user ? 'yes' : 'no'}` : ''}`,
    `bubblewrap  ${bw.path ?? 'not installed'}${bw.path ? (bw.works ? ' works' : ' does not run') : ''}`,
    `networks    ${net.isolated ? `isolated (ip: ${net.ip ?? '?'})` : 'logical only'}`,
    `user        uid ${String(details.uid)}${details.isRoot ? ' (root)' : ''}`,
    ...(details.stateDir ? [`state dir   ${String(details.stateDir)}`] : []),
  ];
}

function engineLines(details: Record<string, unknown>): string[] {
  const engine = details.engine as
    | { address: string; reachable: boolean; serverVersion?: string; apiVersion?: string }
    | undefined;
  if (!engine) return [];
  if (!engine.reachable) return [`engine      ${engine.address}: not reachable`];
  return [
    `engine      ${engine.address}: Docker ${engine.serverVersion ?? '?'}${engine.apiVersion ? `, API ${engine.apiVersion}` : ''}`,
  ];
}

function render(out: Output, reports: DriverReport[], selected: string): void {
  const { style } = out;
  out.line(
    `${style.bold('host')}    ${platform()} ${arch()}, kernel ${release()}, node ${process.version}`,
  );
  for (const r of reports) {
    out.line('');
    const pkg = r.package ? style.dim(`  ${r.package} ${r.version ?? ''}`.trimEnd()) : '';
    out.line(`${style.bold(printable(r.name))}  ${statusWord(r.status, style)}${pkg}`);
    out.line(`  ${printable(r.summary)}`);
    if (r.fix) out.line(`  ${style.accent('fix:')} ${r.fix}`);
    for (const line of [...hostLines(r.details), ...engineLines(r.details)]) {
      out.line(`  ${printable(line)}`);
    }
    if (r.capabilities) out.line(`  enforces    ${enforced(r.capabilities).join(' ')}`);
    for (const gap of r.gaps) {
      out.line(`  ${style.warn('not here')}    ${gap.capability}: ${printable(gap.reason)}`);
      out.line(`              ${style.accent('fix:')} ${gap.fix}`);
    }
  }
  out.line('');
  out.line(`berth uses: ${printable(selected)}`);
}

export const doctorCommand: CommandHandler = async (ctx) => {
  const installed = installedDrivers(ctx.cwd);
  const named = ctx.globals.driver;
  // With --driver, that driver alone; else every installed one, the mocks last (they are
  // for tests, and detection never picks them).
  const targets: Omit<CheckInput, 'globals' | 'env' | 'cwd'>[] = named
    ? [installed.find((d) => d.name === named) ?? { name: named }]
    : [...installed].sort(
        (a, b) => Number(a.name.startsWith('mock')) - Number(b.name.startsWith('mock')),
      );
  const reports: DriverReport[] = [];
  for (const target of targets) {
    reports.push(
      await checkDriver({ ...target, globals: ctx.globals, env: ctx.env, cwd: ctx.cwd }),
    );
  }

  let selected: string;
  let selectedJson: { name: string; source: string } | { error: string };
  try {
    const choice = await chooseDriver(ctx.globals, ctx.env);
    selected = `${choice.name} (${choice.source === 'flag' ? '--driver' : choice.source === 'env' ? 'BERTH_DRIVER' : 'detected; choose with --driver or BERTH_DRIVER'})`;
    selectedJson = choice;
  } catch (error) {
    const { message } = describeError(error);
    selected = `none: ${message}`;
    selectedJson = { error: message };
  }

  const usable = reports.some((r) => r.status !== 'unusable');
  if (ctx.out.json) {
    ctx.out.document({
      host: { platform: platform(), arch: arch(), kernel: release(), node: process.version },
      drivers: reports,
      selected: selectedJson,
      usable,
    });
  } else {
    if (reports.length === 0) {
      ctx.out.line(
        'no driver is installed: npm install @berth/driver-local (or @berth/driver-docker)',
      );
    }
    render(ctx.out, reports, selected);
  }
  return usable ? ExitCode.OK : ExitCode.UNAVAILABLE;
};
