/**
 * QueryUsers' filter and sort engine: Stream's MongoDB-like `filter_conditions` and `sort` evaluated over user
 * read models. Fields resolve against the user first (`id`, `role`, `teams`, `created_at`, …), then `custom.x`
 * paths and bare keys that are not user fields resolve into custom data, as Stream does.
 */
import { inputError } from '../../errors.js';
import { getOwn, readPath } from '../../paths.js';
import type { Rec } from '../../store.js';

/** Fields of the user object itself; any other bare key names a custom field. */
const USER_FIELDS = new Set([
  'id',
  'name',
  'image',
  'role',
  'teams',
  'teams_role',
  'language',
  'banned',
  'shadow_banned',
  'online',
  'invisible',
  'created_at',
  'updated_at',
  'last_active',
  'deactivated_at',
  'deleted_at',
  'ban_expires',
  'revoke_tokens_issued_before',
  'privacy_settings',
]);

const DATE_FIELDS = new Set(['created_at', 'updated_at', 'last_active', 'deactivated_at', 'deleted_at', 'ban_expires', 'revoke_tokens_issued_before']);

const COMPARISONS = ['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$autocomplete', '$exists', '$contains'] as const;
type Comparison = (typeof COMPARISONS)[number];
const LOGICAL = ['$and', '$or', '$nor'] as const;

export type UserPredicate = (user: Rec) => boolean;

export interface SortParam {
  field: string;
  direction?: number;
}

/** Stream's documented default order for QueryUsers. */
const DEFAULT_SORT: SortParam[] = [
  { field: 'created_at', direction: -1 },
  { field: 'id', direction: -1 },
];

/** The value a filter or sort field names; own keys only, so `constructor` or `__proto__` never resolve to a prototype. */
function fieldValue(user: Rec, field: string): unknown {
  const path = field.split('.');
  const head = path[0]!;
  const node: unknown = USER_FIELDS.has(head) ? getOwn(user, head) : head === 'custom' ? getOwn(user, 'custom') : readPath(user, ['custom', head]);
  return readPath(node, path.slice(1));
}

const isPlainObject = (v: unknown): v is Rec => v !== null && typeof v === 'object' && !Array.isArray(v);

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** Orders two scalars of the same kind; `undefined` when they cannot be compared (different types). */
function compare(field: string, a: unknown, b: unknown): number | undefined {
  if (DATE_FIELDS.has(field.split('.')[0]!) && (typeof a === 'string' || typeof a === 'number') && (typeof b === 'string' || typeof b === 'number')) {
    const ta = typeof a === 'number' ? a : Date.parse(a);
    const tb = typeof b === 'number' ? b : Date.parse(b);
    if (Number.isNaN(ta) || Number.isNaN(tb)) return undefined;
    return ta - tb;
  }
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return undefined;
}

/** Equality as Stream applies it: an array field matches when any element matches (or when equal as a whole). */
function matchesEq(field: string, value: unknown, operand: unknown): boolean {
  if (Array.isArray(value) && !Array.isArray(operand)) return value.some((v) => matchesEq(field, v, operand));
  if (deepEqual(value, operand)) return true;
  return DATE_FIELDS.has(field) && compare(field, value, operand) === 0;
}

function ordered(field: string, value: unknown, operand: unknown, test: (c: number) => boolean): boolean {
  const values = Array.isArray(value) ? value : [value];
  return values.some((v) => {
    const c = compare(field, v, operand);
    return c !== undefined && test(c);
  });
}

/** `$autocomplete`: a case-insensitive prefix match on any word of the value. */
function autocomplete(value: unknown, operand: string): boolean {
  if (typeof value !== 'string') return false;
  const prefix = operand.toLowerCase();
  return value
    .toLowerCase()
    .split(/[\s\-_.@,;:]+/)
    .concat(value.toLowerCase())
    .some((word) => word.startsWith(prefix));
}

/**
 * Whether a field's value matches any operand of `$in`, as `matchesEq` with each. A string or number outside the
 * date fields equals only the same string or number, so that common case (`id: {$in: [100 ids]}` over thousands
 * of users) is a set lookup.
 */
function memberOf(field: string, list: readonly unknown[]): (value: unknown) => boolean {
  const scalars = new Set<unknown>(list.filter((x) => typeof x === 'string' || typeof x === 'number'));
  const exact = !DATE_FIELDS.has(field);
  return (value) => {
    if (exact && (typeof value === 'string' || typeof value === 'number')) return scalars.has(value);
    return list.some((x) => matchesEq(field, value, x));
  };
}

function requireArray(field: string, op: string, operand: unknown): unknown[] {
  if (!Array.isArray(operand)) throw inputError(`operator ${op} on field "${field}" requires an array`);
  return operand;
}

function comparison(field: string, op: Comparison, operand: unknown): UserPredicate {
  switch (op) {
    case '$eq':
      return (u) => matchesEq(field, fieldValue(u, field), operand);
    case '$ne':
      return (u) => !matchesEq(field, fieldValue(u, field), operand);
    case '$in': {
      const within = memberOf(field, requireArray(field, op, operand));
      return (u) => within(fieldValue(u, field));
    }
    case '$nin': {
      const within = memberOf(field, requireArray(field, op, operand));
      return (u) => !within(fieldValue(u, field));
    }
    case '$gt':
      return (u) => ordered(field, fieldValue(u, field), operand, (c) => c > 0);
    case '$gte':
      return (u) => ordered(field, fieldValue(u, field), operand, (c) => c >= 0);
    case '$lt':
      return (u) => ordered(field, fieldValue(u, field), operand, (c) => c < 0);
    case '$lte':
      return (u) => ordered(field, fieldValue(u, field), operand, (c) => c <= 0);
    case '$autocomplete':
      if (typeof operand !== 'string' || operand === '') throw inputError(`operator $autocomplete on field "${field}" requires a non-empty string`);
      return (u) => autocomplete(fieldValue(u, field), operand);
    case '$exists':
      if (typeof operand !== 'boolean') throw inputError(`operator $exists on field "${field}" requires a boolean`);
      return (u) => {
        const v = fieldValue(u, field);
        return (v !== undefined && v !== null) === operand;
      };
    case '$contains':
      return (u) => {
        const v = fieldValue(u, field);
        return Array.isArray(v) && v.some((x) => deepEqual(x, operand));
      };
  }
}

function fieldCondition(field: string, condition: unknown): UserPredicate {
  if (field === '') throw inputError('filter_conditions has an empty field name');
  if (!isPlainObject(condition) || !Object.keys(condition).some((k) => k.startsWith('$'))) {
    return comparison(field, '$eq', condition);
  }
  const parts = Object.entries(condition).map(([op, operand]) => {
    if (!(COMPARISONS as readonly string[]).includes(op)) throw inputError(`operator ${op} is not supported for field "${field}"`);
    return comparison(field, op as Comparison, operand);
  });
  return (u) => parts.every((p) => p(u));
}

/** Compiles `filter_conditions` into a predicate; unsupported operators or malformed operands answer 400/4. */
export function compileUserFilter(filter: Rec): UserPredicate {
  const parts = Object.entries(filter).map(([key, value]): UserPredicate => {
    if (!(LOGICAL as readonly string[]).includes(key)) {
      if (key.startsWith('$')) throw inputError(`operator ${key} is not supported at the top level of filter_conditions`);
      return fieldCondition(key, value);
    }
    if (!Array.isArray(value) || value.length === 0 || !value.every(isPlainObject)) {
      throw inputError(`operator ${key} requires a non-empty array of filter objects`);
    }
    const subs = value.map((f) => compileUserFilter(f));
    if (key === '$and') return (u) => subs.every((s) => s(u));
    if (key === '$or') return (u) => subs.some((s) => s(u));
    return (u) => !subs.some((s) => s(u));
  });
  return (u) => parts.every((p) => p(u));
}

/** Whether a filter names `field` anywhere (QueryUsers returns deleted users only when asked for `deleted_at`). */
export function filterMentions(filter: unknown, field: string): boolean {
  if (Array.isArray(filter)) return filter.some((f) => filterMentions(f, field));
  if (!isPlainObject(filter)) return false;
  return Object.entries(filter).some(([k, v]) => k === field || ((LOGICAL as readonly string[]).includes(k) && filterMentions(v, field)));
}

/** Missing values order before present ones (ascending), as in MongoDB; `id` breaks remaining ties. */
export function sortUsers(users: Rec[], sort: SortParam[] | undefined): Rec[] {
  const params = sort?.length ? [...sort, { field: 'id', direction: 1 }] : DEFAULT_SORT;
  return [...users].sort((a, b) => {
    for (const { field, direction } of params) {
      const va = fieldValue(a, field);
      const vb = fieldValue(b, field);
      const missingA = va === undefined || va === null;
      const missingB = vb === undefined || vb === null;
      let c = missingA || missingB ? Number(!missingA) - Number(!missingB) : (compare(field, va, vb) ?? String(va).localeCompare(String(vb)));
      if (direction === -1) c = -c;
      if (c !== 0) return c;
    }
    return 0;
  });
}
