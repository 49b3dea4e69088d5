/** JSON pointers (RFC 6901) and the `*`-patterns kinds use to name fields. */

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const unescape = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

export const toPointer = (segments: readonly (string | number)[]) => segments.map((s) => `/${escape(String(s))}`).join('');

export const fromPointer = (pointer: string): string[] => (pointer === '' ? [] : pointer.slice(1).split('/').map(unescape));

/**
 * Patterns come from a few kinds' specs and the policy, and are matched against every field of every object: each
 * is split once (a daemon whose policy keeps changing starts the cache afresh now and then).
 */
const patternSegments = new Map<string, string[]>();
const segmentsOf = (pattern: string) => {
  let segs = patternSegments.get(pattern);
  if (!segs) {
    if (patternSegments.size >= 1_000) patternSegments.clear();
    patternSegments.set(pattern, (segs = fromPointer(pattern)));
  }
  return segs;
};
const matchesSegments = (p: readonly string[], s: readonly string[]) => p.length === s.length && p.every((seg, i) => seg === '*' || seg === s[i]);

/** Some pattern matches `pointer` segment by segment; `*` matches any one segment. */
export function matchesAny(patterns: readonly string[], pointer: string): boolean {
  if (patterns.length === 0) return false;
  const s = fromPointer(pointer);
  return patterns.some((p) => matchesSegments(segmentsOf(p), s));
}

/** True when some pointer matched by `pattern` lies under `pointer`, or `pointer` under it (one holds the other). */
export function patternOverlaps(pattern: string, pointer: string): boolean {
  const p = fromPointer(pattern);
  const s = fromPointer(pointer);
  const n = Math.min(p.length, s.length);
  for (let i = 0; i < n; i++) if (p[i] !== '*' && p[i] !== s[i]) return false;
  return true;
}

/** True when `pointer` equals `other` or lies under it (or above it), i.e. one contains the other's value. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

export function getAt(value: unknown, pointer: string): unknown {
  let cur = value;
  for (const seg of fromPointer(pointer)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/**
 * Address globs (`blocklist/tmp-*`, `push_provider/*`): `*` matches any run of characters, `/` included, so
 * `push_provider/*` covers every provider whatever its type. Everything else matches literally.
 */
export function globToRegExp(glob: string): RegExp {
  const re = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${re}$`);
}

const matchers = new WeakMap<readonly string[], (address: string) => boolean>();

/**
 * Whether `address` matches any of `globs`. The list's matcher is built once (exact addresses in a set, patterns
 * compiled), so checking thousands of addresses against thousands of targets stays linear. A list must not
 * change once it has been used.
 */
export function matchesGlob(globs: readonly string[], address: string): boolean {
  let matcher = matchers.get(globs);
  if (!matcher) {
    const exact = new Set(globs.filter((g) => !g.includes('*')));
    const patterns = globs.filter((g) => g.includes('*')).map(globToRegExp);
    matcher = (a) => exact.has(a) || patterns.some((re) => re.test(a));
    matchers.set(globs, matcher);
  }
  return matcher(address);
}
