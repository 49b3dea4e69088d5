import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { inputError, notFound } from '../errors.js';
import type { RequestContext, Route } from '../router.js';
import { readPath, setOwn } from '../paths.js';
import type { AppState, Rec } from '../store.js';
import { nowIso, parseInput } from '../validate.js';
import { userView } from './users.js';

/**
 * Polls. A poll is stored as its settings plus `options` (PollOptionResponseData) in read shape; everything
 * derived from votes (`vote_count`, `vote_counts_by_option`, `latest_votes_by_option`, `own_votes`, …) is
 * computed on read from `app.pollVotes` (poll id → PollVoteResponseData[]), which only QueryPollVotes reads.
 */

const QUERY_DEFAULT_LIMIT = 10;
const LATEST_VOTES = 10;

// ---- request schemas -------------------------------------------------------------------------------------

const custom = z.record(z.string(), z.unknown());
const userRequest = z.object({ id: z.string().min(1) });
const actor = { user_id: z.string().optional(), user: userRequest.optional() };

/** The poll settings both CreatePoll and UpdatePoll carry; also the value schemas of UpdatePollPartial's `set`. */
const settingFields = {
  name: z.string().min(1),
  description: z.string(),
  voting_visibility: z.enum(['anonymous', 'public']),
  enforce_unique_vote: z.boolean(),
  max_votes_allowed: z.number().int().max(10),
  allow_user_suggested_options: z.boolean(),
  allow_answers: z.boolean(),
  is_closed: z.boolean(),
  custom,
};
type Settings = { [K in keyof typeof settingFields]: z.infer<(typeof settingFields)[K]> };

/** What a poll's settings are when a create or a full update leaves them out. */
const DEFAULTS: Omit<Settings, 'name' | 'max_votes_allowed'> = {
  description: '',
  voting_visibility: 'public',
  enforce_unique_vote: false,
  allow_user_suggested_options: false,
  allow_answers: false,
  is_closed: false,
  custom: {},
};

const optionText = z.string().min(1);
const optionalSettings = z.object(settingFields).partial().required({ name: true });

const createSchema = optionalSettings.extend({
  id: z.string().min(1).max(255).optional(),
  options: z.array(z.object({ text: optionText, custom: custom.optional() })).max(100).optional(),
  ...actor,
});

const updateSchema = optionalSettings.extend({
  id: z.string().min(1).max(255),
  options: z.array(z.object({ id: z.string().min(1).max(255), text: optionText, custom: custom.optional() })).max(100).optional(),
  ...actor,
});

const partialSchema = z.object({ set: z.record(z.string(), z.unknown()).optional(), unset: z.array(z.string()).optional(), ...actor });

const createOptionSchema = z.object({ text: optionText, custom: custom.optional(), ...actor });
const updateOptionSchema = z.object({ id: z.string().min(1).max(255), text: optionText, custom: custom.optional(), ...actor });

const sortSchema = z.array(z.object({ field: z.string().min(1), direction: z.union([z.literal(1), z.literal(-1)]).optional() })).max(5);
const querySchema = z.object({
  filter: z.record(z.string(), z.unknown()).optional(),
  sort: sortSchema.optional(),
  limit: z.number().int().min(0).max(100).optional(),
  next: z.string().optional(),
  prev: z.string().optional(),
});

// ---- query engine (filters, sort, cursors) ---------------------------------------------------------------

type FieldType = 'string' | 'boolean' | 'number' | 'date' | 'object';
interface Queryable {
  fields: Record<string, { type: FieldType; ops: string[] }>;
  sortFields: string[];
}

const CMP = ['$eq', '$gt', '$gte', '$lt', '$lte'];
const POLL_QUERY: Queryable = {
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
const VOTE_QUERY: Queryable = {
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

function compare(a: unknown, b: unknown): number {
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
function runQuery(q: Queryable, records: Rec[], body: unknown): { page: Rec[]; next?: string; prev?: string } {
  const input = parseInput(querySchema, body);
  const keep = compileFilter(q, input.filter ?? {});
  const sort = input.sort?.length ? input.sort : [{ field: 'created_at', direction: -1 as const }];
  for (const s of sort) if (!q.sortFields.includes(s.field)) throw inputError(`sort field ${s.field} is not allowed`, { sort: `sort field ${s.field} is not allowed` });
  const keys = [...sort.map((s) => ({ field: s.field, dir: s.direction ?? 1 })), { field: 'id', dir: 1 }];
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

// ---- polls -----------------------------------------------------------------------------------------------

function findPoll(app: AppState, id: string): Rec {
  const poll = app.polls.get(id);
  if (!poll) throw notFound(`poll ${id} does not exist`);
  return poll;
}

function findOption(poll: Rec, optionId: string): Rec {
  const option = (poll.options as Rec[]).find((o) => o.id === optionId);
  if (!option) throw notFound(`poll option ${optionId} does not exist`);
  return option;
}

function requireUniqueTexts(options: { text: string }[]): void {
  const seen = new Set<string>();
  for (const o of options) {
    if (seen.has(o.text)) throw inputError(`poll option "${o.text}" is duplicated`, { options: `poll option "${o.text}" is duplicated` });
    seen.add(o.text);
  }
}

/** Applies create/full-update settings: everything left out goes back to its default. */
function applySettings(poll: Rec, input: Partial<Settings> & { name: string }): void {
  Object.assign(poll, DEFAULTS, { custom: {} }, stripUndefined(input));
  if (input.max_votes_allowed === undefined) delete poll.max_votes_allowed;
}

const stripUndefined = (o: Rec): Rec => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const pick = (o: Rec, keys: readonly string[]): Rec => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
const SETTING_KEYS = Object.keys(settingFields);

/** Server-side calls name their user with `user_id` or `user`; CreatePoll needs one to fill `created_by_id`. */
const actorId = (input: { user_id?: string | undefined; user?: { id: string } | undefined }) => input.user_id ?? input.user?.id;

/** PollResponseData: the stored poll plus everything derived from its votes, seen by `viewer` (GetPoll's `user_id`). */
function pollView(app: AppState, poll: Rec, viewer: string | null | undefined): Rec {
  const votes = app.pollVotes.get(poll.id) ?? [];
  const newestFirst = [...votes].sort((a, b) => compare(b.created_at, a.created_at));
  const answers = newestFirst.filter((v) => v.is_answer);
  const optionVotes = newestFirst.filter((v) => !v.is_answer);
  const counts: Rec = {};
  const latest: Rec = {};
  for (const o of poll.options as Rec[]) {
    const forOption = optionVotes.filter((v) => v.option_id === o.id);
    if (forOption.length) {
      setOwn(counts, o.id, forOption.length);
      setOwn(latest, o.id, forOption.slice(0, LATEST_VOTES));
    }
  }
  const view: Rec = {
    ...poll,
    vote_count: Object.values(counts).reduce((a: number, n) => a + (n as number), 0),
    answers_count: answers.length,
    vote_counts_by_option: counts,
    latest_votes_by_option: latest,
    latest_answers: answers.slice(0, LATEST_VOTES),
    own_votes: viewer ? newestFirst.filter((v) => v.user_id === viewer) : [],
  };
  const creator = app.users.get(poll.created_by_id);
  if (creator) view.created_by = userView(app, creator);
  return view;
}

const pollResponse = (ctx: RequestContext, poll: Rec, viewer?: string) => ({ poll: pollView(ctx.app, poll, viewer ?? ctx.query.get('user_id')) });

/** UpdatePollPartial: `set` takes settings (validated like CreatePoll) and custom keys; these cannot be set or unset. */
const READ_ONLY = new Set(['id', 'options', 'created_by_id', 'created_by', 'created_at', 'updated_at', 'vote_count', 'answers_count', 'vote_counts_by_option', 'latest_votes_by_option', 'latest_answers', 'own_votes']);

function applyPartial(poll: Rec, set: Rec, unset: string[]): void {
  for (const key of [...Object.keys(set), ...unset]) {
    if (READ_ONLY.has(key)) throw inputError(`field ${key} cannot be updated`, { [key]: `${key} cannot be updated` });
  }
  if (unset.includes('name')) throw inputError('name is a required field', { name: 'name is a required field' });
  const known = pick(set, SETTING_KEYS);
  parseInput(z.object(settingFields).partial(), known);
  for (const [key, value] of Object.entries(set)) {
    if (Object.hasOwn(settingFields, key)) poll[key] = value;
    else poll.custom = { ...poll.custom, [key]: value };
  }
  for (const key of unset) {
    if (key === 'max_votes_allowed') delete poll.max_votes_allowed;
    else if (Object.hasOwn(DEFAULTS, key)) poll[key] = structuredClone(DEFAULTS[key as keyof typeof DEFAULTS]);
    else {
      const { [key]: _gone, ...rest } = poll.custom as Rec;
      poll.custom = rest;
    }
  }
}

export const pollsRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/v2/polls',
    op: 'CreatePoll',
    handler: (ctx) => {
      const input = parseInput(createSchema, ctx.body);
      const creator = actorId(input);
      if (!creator) throw inputError('either user or user_id must be provided when using server side auth', { user_id: 'user_id is a required field' });
      const id = input.id ?? ctx.newId(undefined, (candidate) => ctx.app.polls.has(candidate));
      if (ctx.app.polls.has(id)) throw inputError(`poll ${id} already exists`, { id: `poll ${id} already exists` });
      const options = input.options ?? [];
      requireUniqueTexts(options);
      const at = nowIso(ctx.now);
      const poll: Rec = { id, created_by_id: creator, created_at: at, updated_at: at };
      applySettings(poll, pick(input, SETTING_KEYS) as Settings);
      const optionIds = new Set<string>();
      poll.options = options.map((o) => {
        const optionId = ctx.newId(undefined, (candidate) => optionIds.has(candidate));
        optionIds.add(optionId);
        return { id: optionId, text: o.text, custom: o.custom ?? {} };
      });
      ctx.app.polls.set(id, poll);
      return pollResponse(ctx, poll, creator);
    },
  },
  {
    method: 'PUT',
    path: '/api/v2/polls',
    op: 'UpdatePoll',
    handler: (ctx) => {
      const input = parseInput(updateSchema, ctx.body);
      const poll = findPoll(ctx.app, input.id);
      const options = input.options ?? [];
      requireUniqueTexts(options);
      const ids = new Set<string>();
      for (const o of options) {
        if (ids.has(o.id)) throw inputError(`poll option id ${o.id} is duplicated`, { options: `poll option id ${o.id} is duplicated` });
        ids.add(o.id);
      }
      applySettings(poll, pick(input, SETTING_KEYS) as Settings);
      // Options are replaced as a whole; an option keeps its identity (and its votes) through its id.
      poll.options = options.map((o) => ({ id: o.id, text: o.text, custom: o.custom ?? {} }));
      dropOrphanVotes(ctx.app, poll);
      poll.updated_at = nowIso(ctx.now);
      return pollResponse(ctx, poll, actorId(input));
    },
  },
  {
    method: 'POST',
    path: '/api/v2/polls/query',
    op: 'QueryPolls',
    handler: (ctx) => {
      const viewer = ctx.query.get('user_id');
      const { page, next, prev } = runQuery(POLL_QUERY, [...ctx.app.polls.values()], ctx.body);
      return stripUndefined({ polls: page.map((p) => pollView(ctx.app, p, viewer)), next, prev });
    },
  },
  {
    method: 'GET',
    path: '/api/v2/polls/{poll_id}',
    op: 'GetPoll',
    handler: (ctx) => pollResponse(ctx, findPoll(ctx.app, ctx.params.poll_id!)),
  },
  {
    method: 'PATCH',
    path: '/api/v2/polls/{poll_id}',
    op: 'UpdatePollPartial',
    handler: (ctx) => {
      const input = parseInput(partialSchema, ctx.body);
      const poll = findPoll(ctx.app, ctx.params.poll_id!);
      const next = structuredClone(poll);
      applyPartial(next, input.set ?? {}, input.unset ?? []);
      next.updated_at = nowIso(ctx.now);
      ctx.app.polls.set(poll.id, next);
      return pollResponse(ctx, next, actorId(input));
    },
  },
  {
    method: 'DELETE',
    path: '/api/v2/polls/{poll_id}',
    op: 'DeletePoll',
    handler: (ctx) => {
      const poll = findPoll(ctx.app, ctx.params.poll_id!);
      ctx.app.polls.delete(poll.id);
      ctx.app.pollVotes.delete(poll.id);
      return {};
    },
  },
  {
    method: 'POST',
    path: '/api/v2/polls/{poll_id}/options',
    op: 'CreatePollOption',
    handler: (ctx) => {
      const input = parseInput(createOptionSchema, ctx.body);
      const poll = findPoll(ctx.app, ctx.params.poll_id!);
      requireUniqueTexts([...(poll.options as Rec[]).map((o) => ({ text: String(o.text) })), input]);
      const option = { id: ctx.newId(undefined, (candidate) => (poll.options as Rec[]).some((o) => o.id === candidate)), text: input.text, custom: input.custom ?? {} };
      (poll.options as Rec[]).push(option);
      poll.updated_at = nowIso(ctx.now);
      return { poll_option: option };
    },
  },
  {
    method: 'PUT',
    path: '/api/v2/polls/{poll_id}/options',
    op: 'UpdatePollOption',
    handler: (ctx) => {
      const input = parseInput(updateOptionSchema, ctx.body);
      const poll = findPoll(ctx.app, ctx.params.poll_id!);
      const option = findOption(poll, input.id);
      requireUniqueTexts([...(poll.options as Rec[]).filter((o) => o.id !== option.id).map((o) => ({ text: String(o.text) })), input]);
      option.text = input.text;
      option.custom = input.custom ?? {};
      poll.updated_at = nowIso(ctx.now);
      return { poll_option: option };
    },
  },
  {
    method: 'GET',
    path: '/api/v2/polls/{poll_id}/options/{option_id}',
    op: 'GetPollOption',
    handler: (ctx) => ({ poll_option: findOption(findPoll(ctx.app, ctx.params.poll_id!), ctx.params.option_id!) }),
  },
  {
    method: 'DELETE',
    path: '/api/v2/polls/{poll_id}/options/{option_id}',
    op: 'DeletePollOption',
    handler: (ctx) => {
      const poll = findPoll(ctx.app, ctx.params.poll_id!);
      const option = findOption(poll, ctx.params.option_id!);
      poll.options = (poll.options as Rec[]).filter((o) => o !== option);
      dropOrphanVotes(ctx.app, poll);
      poll.updated_at = nowIso(ctx.now);
      return {};
    },
  },
  {
    method: 'POST',
    path: '/api/v2/polls/{poll_id}/votes',
    op: 'QueryPollVotes',
    handler: (ctx) => {
      const poll = findPoll(ctx.app, ctx.params.poll_id!);
      const { page, next, prev } = runQuery(VOTE_QUERY, ctx.app.pollVotes.get(poll.id) ?? [], ctx.body);
      return stripUndefined({ votes: page, next, prev });
    },
  },
];

/** Votes for options that no longer exist go with them (answers have no option and stay). */
function dropOrphanVotes(app: AppState, poll: Rec): void {
  const votes = app.pollVotes.get(poll.id);
  if (!votes) return;
  const ids = new Set((poll.options as Rec[]).map((o) => o.id));
  app.pollVotes.set(poll.id, votes.filter((v) => v.is_answer || ids.has(v.option_id)));
}
