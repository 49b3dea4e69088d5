import { inputError } from './errors.js';
import type { Rec } from './store.js';

/**
 * Safe handling of keys and dotted paths that come from requests (`custom.a.b` in UpdateUsersPartial, QueryUsers
 * and QueryPolls filter fields, push template expressions). Reads see own keys only, so `constructor`, `toString`
 * or `__proto__` never resolve to something inherited; writes refuse the segments that reach a prototype and
 * define own properties, so no request can change `Object.prototype` or an object's prototype.
 */

/** Path segments that would reach a prototype when written through. */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deepest nesting any user-supplied JSON value (or dotted path) may have. */
export const MAX_JSON_DEPTH = 32;

/** `obj[key]` when `obj` is an object that has `key` as an own property; `undefined` otherwise. */
export function getOwn(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' && Object.hasOwn(obj, key) ? (obj as Rec)[key] : undefined;
}

/** Whether `obj` has `key` as an own property (the safe form of `key in obj` for request-supplied keys). */
export const hasOwn = (obj: object, key: string): boolean => Object.hasOwn(obj, key);

/** Defines `obj[key] = value` as an own data property, whatever `key` is (`__proto__` included). */
export function setOwn(obj: Rec, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Follows `segments` through own keys only. */
export function readPath(root: unknown, segments: readonly string[]): unknown {
  let node = root;
  for (const seg of segments) node = getOwn(node, seg);
  return node;
}

/**
 * Splits a dotted path sent by a client for writing. Refuses (400/4, naming `field`) segments that reach a
 * prototype and paths deeper than {@link MAX_JSON_DEPTH}.
 */
export function writablePath(path: string, field: string): string[] {
  const segments = path.split('.');
  const bad = segments.find((s) => FORBIDDEN_SEGMENTS.has(s));
  if (bad !== undefined) throw inputError(`${field}: "${bad}" is not allowed in a field path`, { [field]: `"${bad}" is not allowed in a field path` });
  if (segments.length > MAX_JSON_DEPTH) {
    throw inputError(`${field}: a field path may have at most ${MAX_JSON_DEPTH} segments`, { [field]: `a field path may have at most ${MAX_JSON_DEPTH} segments` });
  }
  return segments;
}

/**
 * Sets (or, for `undefined`, deletes) the value at `segments` under `root`, replacing non-object values on the way
 * with `{}`. `segments` must come from {@link writablePath}.
 */
export function writePath(root: Rec, segments: readonly string[], value: unknown): void {
  let node = root;
  for (const seg of segments.slice(0, -1)) {
    const next = getOwn(node, seg);
    if (next === null || typeof next !== 'object' || Array.isArray(next)) setOwn(node, seg, {});
    node = node[seg] as Rec;
  }
  const last = segments[segments.length - 1]!;
  if (value === undefined) {
    if (Object.hasOwn(node, last)) delete node[last];
  } else setOwn(node, last, value);
}

/**
 * The check every parsed request body (and JSON query parameter) passes before a handler sees it: nesting at most
 * {@link MAX_JSON_DEPTH} levels, and no `__proto__` key anywhere. Iterative, so any depth is measured safely.
 * Throws 400/4 naming `field`.
 */
export function checkJsonInput(value: unknown, field = 'body'): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) {
      throw inputError(`${field} is nested too deeply: at most ${MAX_JSON_DEPTH} levels are allowed`, { [field]: `nested deeper than ${MAX_JSON_DEPTH} levels` });
    }
    if (Array.isArray(node)) {
      for (const v of node) stack.push([v, depth + 1]);
      continue;
    }
    for (const key of Object.keys(node)) {
      if (key === '__proto__') throw inputError(`${field} contains the key "__proto__", which is not allowed`, { [field]: 'the key "__proto__" is not allowed' });
      stack.push([(node as Rec)[key], depth + 1]);
    }
  }
}
