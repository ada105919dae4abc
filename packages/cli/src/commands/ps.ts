import {
  type ContainerFilter,
  type ContainerInstance,
  type ContainerStatus,
  ContainerStatusSchema,
} from '@berth/core';
import { labelFilter, oneOf } from '../args/values.js';
import { SHORT_ID } from '../driver/containers.js';
import { ExitCode } from '../errors/exit-codes.js';
import type { Style } from '../output/style.js';
import { table } from '../output/table.js';
import { ago } from '../output/time.js';
import type { CommandContext, CommandHandler } from '../runtime/context.js';

function statusText(c: ContainerInstance): string {
  let text: string = c.status;
  if ((c.status === 'exited' || c.status === 'stopped') && c.exitCode !== undefined) {
    text += ` (${c.exitCode})`;
  }
  if (c.health && c.health !== 'none') text += `, ${c.health}`;
  return text;
}

/** Running green, failed red, ended dim. */
function paintStatus(c: ContainerInstance, text: string, style: Style): string {
  if (c.status === 'running') return style.good(text);
  if (c.status === 'dead' || (c.exitCode ?? 0) !== 0) return style.bad(text);
  return style.dim(text);
}

function portsText(c: ContainerInstance): string {
  if (c.ports.length > 0) {
    return c.ports.map((p) => `${p.hostIp}:${p.host}->${p.container}/${p.protocol}`).join(', ');
  }
  return c.endpoint ?? '';
}

/** The filter the flags describe; by default only containers that have not ended. */
function filterFrom(ctx: CommandContext): ContainerFilter {
  const statuses = ctx
    .strings('status')
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => oneOf(s, ContainerStatusSchema.options, '--status', 'ps'));
  const filter: ContainerFilter = {};
  const session = ctx.string('session');
  const tenant = ctx.string('tenant');
  if (session !== undefined) filter.sessionId = session;
  if (tenant !== undefined) filter.tenantId = tenant;
  const labels = ctx.strings('label');
  if (labels.length > 0) filter.label = labelFilter(labels, 'ps');
  if (statuses.length > 0) filter.status = [...new Set(statuses)] as ContainerStatus[];
  // Paused containers are in state 'running': like `docker ps`, they are listed.
  else if (!ctx.flag('all')) filter.state = 'running';
  return filter;
}

export const psCommand: CommandHandler = async (ctx) => {
  const filter = filterFrom(ctx);
  const driver = await ctx.driver();
  const containers = (await driver.listContainers(filter, { signal: ctx.signal })).sort(
    (a, b) => b.createdAt.getTime() - a.createdAt.getTime(),
  );
  if (ctx.out.json) {
    ctx.out.document(containers);
    return ExitCode.OK;
  }
  const full = ctx.flag('no-trunc');
  const id = (c: ContainerInstance) => (full ? c.id : c.id.slice(0, SHORT_ID));
  if (ctx.flag('quiet')) {
    for (const c of containers) ctx.out.line(id(c));
    return ExitCode.OK;
  }
  const now = Date.now();
  const { style } = ctx.out;
  const rows = containers.map((c) => [
    id(c),
    c.name,
    c.image,
    statusText(c),
    c.sessionId,
    c.tenantId ?? '',
    ago(c.createdAt, now),
    portsText(c),
  ]);
  const STATUS = 3;
  ctx.out.line(
    table(
      ['CONTAINER ID', 'NAME', 'IMAGE', 'STATUS', 'SESSION', 'TENANT', 'CREATED', 'PORTS'],
      rows,
      style.bold,
      (row, column, padded) =>
        column === STATUS
          ? paintStatus(containers[row] as ContainerInstance, padded, style)
          : padded,
    ),
  );
  return ExitCode.OK;
};
