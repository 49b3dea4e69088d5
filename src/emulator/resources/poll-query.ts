/**
 * The query engine of QueryPolls and QueryPollVotes: Stream's filter language (`$and`/`$or`/`$nor`, `field: value`
 * for `$eq`, `field: {op: value}`) over the fields each query allows, a sort, and offset cursors (`next`/`prev`).
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { inputError } from '../errors.js';
import { readPath } from '../paths.js';
import type { Rec } from '../store.js';
import { parseInput } from '../validate.js';

const QUERY_DEFAULT_LIMIT = 10;

const sortSchema = z.array(z.object({ field: z.string().min(1), direction: z.union([z.literal(1), z.literal(-1)]).optional() })).max(5);
const querySchema = z.object({
  filter: z.record(z.string(), z.unknown()).optional(),
  sort: sortSchema.optional(),
  limit: z.number().int().min(0).max(100).optional(),
  next: z.string().optional(),
  prev: z.string().optional(),
});

type FieldType = 'string' | 'boolean' | 'number' | 'date' | 'object';
export interface Queryable {
  fields: Record<string, { type: FieldType; ops: string[] }>;
  sortFields: string[];
  /** The fields that break ties after the sort, ascending (default `id`). */
  tiebreak?: string[];
}

const CMP = ['$eq', '$gt', '$gte', '$lt', '$lte'];
export const POLL_QUERY: Queryable = {
  fields: {
    allow_answers: { type: 'boolean', ops: ['$eq'] },
    allow_user_suggested_options: { type: 'boolean', ops: ['$eq'] },
    created_at: { type: 'date', ops: CMP },
    created_by_id: { type: 'string', ops: ['$eq', '$in'] },
    custom: { type: 'object', ops: [...CMP, '$autocomplete', '$contains', '$exists', '$in', '$q'] },
    id: { type: 'string', ops: ['$eq', '$in'] },
    is_closed: { type: 'boolean', ops: ['$eq'] },
    max_votes_allowed: { type: 'number', ops: CMP },
    name: { type: 'string', ops: ['$eq', '$in'] },
    updated_at: { type: 'date', ops: CMP },
    voting_visibility: { type: 'string', ops: ['$eq'] },
  },
  sortFields: ['created_at', 'id', 'is_closed', 'name', 'updated_at'],
};
export const VOTE_QUERY: Queryable = {
  fields: {
    created_at: { type: 'date', ops: CMP },
    id: { type: 'string', ops: ['$eq', '$in'] },
    is_answer: { type: 'boolean', ops: ['$eq'] },
    option_id: { type: 'string', ops: ['$eq', '$exists', '$in'] },
    poll_id: { type: 'string', ops: ['$eq', '$in'] },
    updated_at: { type: 'date', ops: CMP },
    user_id: { type: 'string', ops: ['$eq', '$in'] },
  },
  sortFields: ['created_at', 'id', 'updated_at'],
};

const filterError = (detail: string) => inputError(detail, { filter: detail });

function comparable(v: unknown, type: FieldType): unknown {
  if (type === 'date' && typeof v === 'string') return Date.parse(v);
  return v;
}

export function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  return (a as number | string) < (b as number | string) ? -1 : 1;
}

/** Whether `record` satisfies one `{op: operand}` condition on `field` (`custom.key` reaches into custom data). */
function matchCondition(record: Rec, field: string, type: FieldType, op: string, operand: unknown): boolean {
  const value = readPath(record, field.split('.'));
  const v = comparable(value, type);
  const x = comparable(operand, type);
  switch (op) {
    case '$eq':
      return isDeepStrictEqual(v, x);
    case '$in':
      if (!Array.isArray(operand)) throw filterError(`${field}: $in needs an array`);
      // On a list field (a moderation rule's `config_keys`), whether any element is one of the operands.
      if (Array.isArray(value)) return value.some((e) => operand.some((o) => isDeepStrictEqual(e, o)));
      return operand.some((o) => isDeepStrictEqual(v, comparable(o, type)));
    case '$gt':
      return value !== undefined && compare(v, x) > 0;
    case '$gte':
      return value !== undefined && compare(v, x) >= 0;
    case '$lt':
      return value !== undefined && compare(v, x) < 0;
    case '$lte':
      return value !== undefined && compare(v, x) <= 0;
    case '$exists':
      return (value !== undefined && value !== null) === Boolean(operand);
    case '$contains':
      if (Array.isArray(value)) return value.some((e) => isDeepStrictEqual(e, operand));
      if (value && typeof value === 'object' && operand && typeof operand === 'object') {
        return Object.entries(operand as Rec).every(([k, o]) => isDeepStrictEqual((value as Rec)[k], o));
      }
      return typeof value === 'string' && typeof operand === 'string' && value.includes(operand);
    case '$autocomplete':
    case '$q': {
      const needle = String(operand).toLowerCase();
      const hay = typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).filter((s) => typeof s === 'string') : [];
      return hay.some((s) => (op === '$q' ? s.toLowerCase().includes(needle) : s.toLowerCase().split(/\s+/).some((w: string) => w.startsWith(needle))));
    }
    default:
      throw filterError(`operator ${op} is not supported`);
  }
}

/** Compiles a Stream filter (`$and`/`$or`/`$nor`, `field: value` for `$eq`, `field: {op: value}`) against the allowed fields. */
function compileFilter(q: Queryable, filter: Rec): (r: Rec) => boolean {
  const parts: ((r: Rec) => boolean)[] = [];
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(cond) || !cond.every((c) => c !== null && typeof c === 'object' && !Array.isArray(c))) {
        throw filterError(`${key} needs an array of filter objects`);
      }
      const subs = cond.map((c) => compileFilter(q, c as Rec));
      parts.push(
        key === '$and' ? (r) => subs.every((s) => s(r)) : key === '$or' ? (r) => subs.some((s) => s(r)) : (r) => !subs.some((s) => s(r)),
      );
      continue;
    }
    const base = key.split('.')[0]!;
    const spec = Object.hasOwn(q.fields, base) ? q.fields[base] : undefined;
    if (!spec || (key !== base && base !== 'custom')) throw filterError(`field ${key} is not a valid filter field`);
    const conds: [string, unknown][] =
      cond && typeof cond === 'object' && !Array.isArray(cond) && Object.keys(cond).every((k) => k.startsWith('$'))
        ? Object.entries(cond as Rec)
        : [['$eq', cond]];
    for (const [op] of conds) if (!spec.ops.includes(op)) throw filterError(`operator ${op} is not allowed on field ${key}`);
    parts.push((r) => conds.every(([op, operand]) => matchCondition(r, key, spec.type, op, operand)));
  }
  return (r) => parts.every((p) => p(r));
}

/** Offset cursors: opaque to clients, bound to nothing but the position (as good as Stream's for a static set). */
const encodeCursor = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
function decodeCursor(name: string, cursor: string): number {
  try {
    const o = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Rec).o;
    if (Number.isInteger(o) && o >= 0) return o as number;
  } catch {
    /* falls through to the error */
  }
  throw inputError(`${name} is not a valid cursor`, { [name]: `${name} is not a valid cursor` });
}

/** Runs a query body over `records`: filter, sort (default `created_at` descending, ties by id), then one page. */
export function runQuery(q: Queryable, records: Rec[], body: unknown): { page: Rec[]; next?: string; prev?: string } {
  const input = parseInput(querySchema, body);
  const keep = compileFilter(q, input.filter ?? {});
  const sort = input.sort?.length ? input.sort : [{ field: 'created_at', direction: -1 as const }];
  for (const s of sort) if (!q.sortFields.includes(s.field)) throw inputError(`sort field ${s.field} is not allowed`, { sort: `sort field ${s.field} is not allowed` });
  const keys = [...sort.map((s) => ({ field: s.field, dir: s.direction ?? 1 })), ...(q.tiebreak ?? ['id']).map((field) => ({ field, dir: 1 }))];
  const sorted = records.filter(keep).sort((a, b) => {
    for (const k of keys) {
      const c = compare(a[k.field], b[k.field]);
      if (c) return c * k.dir;
    }
    return 0;
  });
  if (input.next && input.prev) throw inputError('next and prev cannot be used together', { next: 'next and prev cannot be used together' });
  const limit = input.limit || QUERY_DEFAULT_LIMIT;
  let start = 0;
  if (input.next) start = decodeCursor('next', input.next);
  if (input.prev) start = Math.max(0, decodeCursor('prev', input.prev) - limit);
  const end = input.prev ? Math.min(decodeCursor('prev', input.prev), start + limit) : start + limit;
  const out: { page: Rec[]; next?: string; prev?: string } = { page: sorted.slice(start, end) };
  if (end < sorted.length) out.next = encodeCursor(end);
  if (start > 0) out.prev = encodeCursor(start);
  return out;
}
