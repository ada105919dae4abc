/**
 * An id as a message can show it: callers pass anything (a Symbol would throw in a template),
 * and a long or odd one is cut and quoted rather than printed raw.
 */
export function shown(id: unknown): string {
  if (typeof id === 'string')
    return id.length <= 128 && /^[\x20-\x7e]*$/.test(id) ? id : JSON.stringify(id.slice(0, 128));
  if (typeof id === 'symbol') return id.toString();
  try {
    return `(${typeof id}) ${String(id).slice(0, 64)}`;
  } catch {
    return `(${typeof id})`;
  }
}
