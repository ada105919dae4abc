import { printable } from './sanitize.js';

/** Colours a cell after padding, so escape codes never count towards a column's width. */
export type CellPaint = (row: number, column: number, padded: string) => string;

/**
 * A plain text table: a header row and columns padded to their widest cell, two spaces
 * apart, as `docker ps` prints. Cells are escaped, so a name cannot break the layout.
 */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  header: (text: string) => string = (t) => t,
  paint: CellPaint = (_row, _column, padded) => padded,
): string {
  const cells = rows.map((row) => row.map((cell) => printable(cell)));
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)),
  );
  const last = headers.length - 1;
  const head = headers.map((h, i) => (i === last ? h : h.padEnd(widths[i] ?? 0))).join('  ');
  const body = cells.map((row, r) =>
    row
      .map((cell, i) => paint(r, i, i === last ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
  return [header(head.trimEnd()), ...body].join('\n');
}
