import type { ValidationIssue } from './errors/index.js';

type Path = (string | number)[];

const NUL = '\0';

// Deeper than any string the contract's schemas hold (security.capabilities.add[i] is 4): what
// lies below is a schema error anyway, and the bound keeps a hostile, deeply nested input from
// exhausting the stack before the schema's answer is reported.
const MAX_DEPTH = 8;

const WHY =
  'NUL cannot be passed to a process or the engine (it ends the string there, so what runs would differ from what was checked): remove it';

/** A key or value as a message shows it: a NUL spelled `\0`, so messages stay safe to log. */
export function printable(text: string): string {
  return text.replaceAll(NUL, '\\0');
}

/** `command[2]`, `volumes[0].source`, `security.user`. */
function formatPath(path: Path): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${printable(part)}`,
    )
    .join('');
}

// The string maps of the contract, named as a user knows them.
const RECORDS: Record<string, { key: string; value: string }> = {
  env: { key: 'env name', value: 'env value of' },
  labels: { key: 'label key', value: 'label value of' },
  label: { key: 'label filter key', value: 'label filter value of' },
};

function recordOf(base: Path): { key: string; value: string } | undefined {
  const [first] = base;
  return base.length === 1 && typeof first === 'string' ? RECORDS[first] : undefined;
}

function describeKey(base: Path, key: string): string {
  const record = recordOf(base);
  if (record) return `${record.key} '${printable(key)}'`;
  return `key '${printable(key)}'${base.length > 0 ? ` of ${formatPath(base)}` : ''}`;
}

function describeValue(path: Path): string {
  const key = path.at(-1);
  const record = recordOf(path.slice(0, -1));
  if (record && typeof key === 'string') return `${record.value} '${printable(key)}'`;
  return path.length > 0 ? formatPath(path) : 'the input';
}

/**
 * Every key and string value holding a NUL byte, at any depth of plain objects and arrays.
 * Generic on purpose: a string field added to a schema later is covered without a new check.
 */
export function nulByteIssues(input: unknown, base: Path = []): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (path: Path, what: string) =>
    issues.push({ path, message: `${what} contains a NUL byte (\\0); ${WHY}`, stage: 'security' });
  // A cycle or a shared object is looked at once.
  const seen = new WeakSet<object>();
  const visit = (value: unknown, path: Path, depth: number): void => {
    if (typeof value === 'string') {
      if (value.includes(NUL)) add(path, describeValue(path));
      return;
    }
    if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return;
    // Byte buffers are never contract strings, and walking one would cost a step per byte.
    if (ArrayBuffer.isView(value) || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        const item: unknown = value[index];
        // Numbers and holes cannot hold a NUL: no path is built for them.
        if (typeof item === 'string' || (typeof item === 'object' && item !== null)) {
          visit(item, [...path, index], depth + 1);
        }
      }
      return;
    }
    for (const key of Object.keys(value)) {
      if (key.includes(NUL)) add([...path, key], describeKey(path, key));
      visit((value as Record<string, unknown>)[key], [...path, key], depth + 1);
    }
  };
  visit(input, base, 0);
  return issues;
}

function samePath(a: Path, b: Path): boolean {
  return a.length === b.length && a.every((part, index) => part === b[index]);
}

/**
 * `issues` less those on a field that already has a NUL issue: a name with a NUL also fails
 * the name pattern, and one clear problem per field reads better than two, one of which would
 * quote the NUL back.
 */
export function unshadowed(issues: ValidationIssue[], nul: ValidationIssue[]): ValidationIssue[] {
  return issues.filter((issue) => !nul.some((found) => samePath(found.path, issue.path)));
}
