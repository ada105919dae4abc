/**
 * Matches `value` against a glob where `*` is any run of characters (including `/` and `:`,
 * so `registry.example.com/team/*` covers every tag below it) and `?` one character. Everything
 * else is literal: an image name's `.` must not match any character.
 */
export function globMatch(pattern: string, value: string): boolean {
  const source = pattern
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(value);
}
