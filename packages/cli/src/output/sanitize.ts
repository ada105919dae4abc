/*
 * Text that reaches the terminal from elsewhere (names, labels, sessions, error messages
 * quoting what a user typed) may hold control characters: a newline breaks the one-line
 * promise, an escape sequence can rewrite the screen or the window title. So anything not
 * produced by the CLI itself goes through here before it is printed.
 */

// C0 controls (tab kept out too: it breaks table columns), DEL and C1 controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function escapeControl(char: string): string {
  const code = char.charCodeAt(0);
  if (code === 0) return '\\0';
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/** One table cell or value: control characters shown escaped, as `\n` or `\x1b`. */
export function printable(text: string): string {
  return text.replace(CONTROL, escapeControl);
}

/** Longest message printed: a huge argument quoted back would otherwise flood the terminal. */
const MAX_MESSAGE = 2000;

/**
 * A message on one line. Multi-line messages (a validation error lists one problem per line,
 * `  - path: problem`) become `first: problem; problem`.
 */
export function oneLine(message: string): string {
  const lines = message
    .split(/\r?\n/)
    .map((line) => line.trim().replace(/^- /, ''))
    .filter((line) => line !== '');
  const [first = '', ...rest] = lines;
  const joined = rest.length === 0 ? first : `${first.replace(/:$/, '')}: ${rest.join('; ')}`;
  const safe = printable(joined);
  return safe.length > MAX_MESSAGE ? `${safe.slice(0, MAX_MESSAGE)}… (cut)` : safe;
}

/** A word as an error message can quote it: short, and with nothing that could break a line. */
export function quoted(word: string): string {
  const cut = word.length > 60 ? `${word.slice(0, 60)}…` : word;
  return `'${printable(cut)}'`;
}
