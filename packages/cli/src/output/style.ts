/** What the CLI colours, by meaning rather than by colour. */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  good(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
  accent(text: string): string;
}

function sgr(open: number, close: number): (text: string) => string {
  return (text) => `\x1b[${open}m${text}\x1b[${close}m`;
}

const plain = (text: string) => text;

export function makeStyle(enabled: boolean): Style {
  if (!enabled) {
    return {
      enabled,
      bold: plain,
      dim: plain,
      good: plain,
      bad: plain,
      warn: plain,
      accent: plain,
    };
  }
  return {
    enabled,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    good: sgr(32, 39),
    bad: sgr(31, 39),
    warn: sgr(33, 39),
    accent: sgr(36, 39),
  };
}

interface ColorInputs {
  isTTY: boolean | undefined;
  env: Record<string, string | undefined>;
  noColorFlag: boolean;
}

/**
 * Colour only for a person at a terminal: never when asked not to (`--no-color`, `NO_COLOR`
 * set to anything non-empty, per no-color.org), never into a pipe or file or a dumb terminal,
 * unless FORCE_COLOR asks for it (as Node's own tools honour it).
 */
export function wantsColor({ isTTY, env, noColorFlag }: ColorInputs): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env.TERM === 'dumb') return false;
  return isTTY === true;
}
