import { z } from 'zod';
import { inputError, notAllowed, orNotFound } from '../errors.js';
import { mapSlice, type Resource } from '../resource.js';
import { route, type RequestContext } from '../router.js';
import type { AppState, Quotas, Rec } from '../store.js';
import { nowIso, parseInput, queryInt } from '../validate.js';

declare module '../store.js' {
  interface AppState {
    /** keyed by the list's `id` (ImportBlockList addresses lists by id) */
    blocklists: Map<string, Rec>;
  }
}

/**
 * Block lists. Identity is name + optional team; the map is keyed by the list's `id` because ImportBlockList
 * addresses lists by id. Every app has the built-in `profanity_en_2020_v1`: it looks like any other list (no
 * flag marks it), counts towards the "15 block lists in total" quota (Stream's docs say "in total"), and cannot
 * be changed or deleted.
 */
export const BUILTIN_BLOCKLIST = 'profanity_en_2020_v1';
/** Built-in lists are shared by every app, so their id is fixed. */
const BUILTIN_BLOCKLIST_ID = '6f1b2c1e-5a0d-4c43-9a31-2b8d0c6e7f20';
const BUILTIN_WORDS = ['arse', 'ass', 'asshole', 'bastard', 'bitch', 'bollocks', 'bullshit', 'crap', 'cunt', 'damn', 'dick', 'dickhead', 'fuck', 'fucker', 'fucking', 'motherfucker', 'piss', 'prick', 'shit', 'slut', 'twat', 'wanker', 'whore'];

const TYPES = ['regex', 'domain', 'domain_allowlist', 'email', 'email_allowlist', 'word'] as const;
const FLAGS = ['is_leet_check_enabled', 'is_plural_check_enabled', 'is_confusable_folding_enabled', 'is_substring_matching_enabled'] as const;
const DEFAULT_LIMIT = 100;

const flagFields = {
  is_leet_check_enabled: z.boolean().optional(),
  is_plural_check_enabled: z.boolean().optional(),
  is_confusable_folding_enabled: z.boolean().optional(),
  is_substring_matching_enabled: z.boolean().optional(),
};

const createSchema = (q: Quotas) =>
  z.object({
    name: z.string().min(1).max(q.blocklistNameLength),
    words: z.array(z.string()),
    type: z.enum(TYPES).optional(),
    team: z.string().optional(),
    user_id: z.string().optional(),
    user: z.object({ id: z.string() }).optional(),
    ...flagFields,
  });

const updateSchema = z.object({
  words: z.array(z.string()).optional(),
  team: z.string().optional(),
  user_id: z.string().optional(),
  user: z.object({ id: z.string() }).optional(),
  ...flagFields,
});

const importSchema = z.object({
  items: z.array(z.string()).min(1),
  chunk_size: z.number().int().min(1).optional(),
});

const teamOf = (ctx: RequestContext, bodyTeam?: string) => bodyTeam ?? (ctx.query.get('team') || undefined);

export function findByName(app: AppState, name: string, team: string | undefined): Rec | undefined {
  for (const list of app.blocklists.values()) if (list.name === name && list.team === team) return list;
  return undefined;
}

const mustFind = (app: AppState, name: string, team: string | undefined): Rec =>
  orNotFound(findByName(app, name, team), `blocklist ${name}${team ? ` (team ${team})` : ''} does not exist`);

function mustBeCustom(list: Rec): void {
  if (list.id === BUILTIN_BLOCKLIST_ID) throw notAllowed(`blocklist ${list.name} is a built-in block list and cannot be changed`);
}

/**
 * Checks words against the published limits and the list type, and drops duplicates (a list is a set: imports
 * skip words already present). `field` names the request field in error messages.
 */
function checkWords(words: readonly string[], type: string, q: Quotas, field: string): string[] {
  const unique = [...new Set(words)];
  if (unique.length > q.blocklistWords) throw inputError(`${field} must contain at maximum ${q.blocklistWords} item(s)`, { [field]: `${field} must contain at maximum ${q.blocklistWords} item(s)` });
  unique.forEach((w, i) => {
    const at = `${field}[${i}]`;
    const fail = (why: string) => {
      throw inputError(`${at} ${why}`, { [at]: `${at} ${why}` });
    };
    if (w.trim() === '') fail('must not be empty');
    // Characters are code points (an emoji is one character), not UTF-16 code units.
    if ([...w].length > q.blocklistWordLength) fail(`must be a maximum of ${q.blocklistWordLength} characters in length`);
    // Stream's docs say words "must be in lowercase", but the API accepts and stores capitals as sent.
    if (type === 'regex') {
      try {
        new RegExp(w);
      } catch {
        fail('is not a valid regular expression');
      }
    }
  });
  return unique;
}

const sortKey = (l: Rec) => JSON.stringify([l.name, l.team ?? '']);

function encodeCursor(list: Rec): string {
  return Buffer.from(sortKey(list)).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  try {
    const parsed: unknown = JSON.parse(key);
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((p) => typeof p === 'string')) return key;
  } catch {
    /* reported below */
  }
  throw inputError('cursor is invalid', { cursor: 'cursor is invalid' });
}

const listBlockLists = route('GET', '/api/v2/blocklists', 'ListBlockLists', (ctx) => {
  const limit = queryInt(ctx.query, 'limit', { min: 1, max: 200 }) ?? DEFAULT_LIMIT;
  const cursor = ctx.query.get('cursor');
  const after = cursor ? decodeCursor(cursor) : undefined;
  const team = teamOf(ctx);
  // Ordered by name then team: a stable order that a cursor (the last key served) survives deletions in.
  const all = [...ctx.app.blocklists.values()]
    .filter((l) => team === undefined || l.team === team)
    .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  const rest = after === undefined ? all : all.filter((l) => sortKey(l) > after);
  const page = rest.slice(0, limit);
  const body: Rec = { blocklists: page };
  if (rest.length > limit) body.next_cursor = encodeCursor(page[page.length - 1]!);
  return body;
});

const createBlockList = route('POST', '/api/v2/blocklists', 'CreateBlockList', (ctx) => {
  const req = parseInput(createSchema(ctx.quotas), ctx.body);
  const type = req.type ?? 'word';
  const words = checkWords(req.words, type, ctx.quotas, 'words');
  if (findByName(ctx.app, req.name, req.team)) throw inputError(`blocklist ${req.name} already exists`, { name: `blocklist ${req.name} already exists` });
  if (ctx.app.blocklists.size >= ctx.quotas.blocklists) {
    throw inputError(`an app can have at most ${ctx.quotas.blocklists} block lists`);
  }
  const at = nowIso(ctx.now);
  const list: Rec = { id: ctx.newId(undefined, (id) => [...ctx.app.blocklists.values()].some((l) => l.id === id)), name: req.name, type, words };
  if (req.team !== undefined) list.team = req.team;
  const owner = req.user_id ?? req.user?.id;
  if (owner !== undefined) list.owner_user_id = owner;
  for (const f of FLAGS) list[f] = req[f] ?? false;
  list.created_at = at;
  list.updated_at = at;
  ctx.app.blocklists.set(list.id, list);
  return { blocklist: list };
});

const getBlockList = route('GET', '/api/v2/blocklists/{name}', 'GetBlockList', (ctx) => ({ blocklist: mustFind(ctx.app, ctx.params.name!, teamOf(ctx)) }));

const updateBlockList = route('PUT', '/api/v2/blocklists/{name}', 'UpdateBlockList', (ctx) => {
  const req = parseInput(updateSchema, ctx.body);
  // `team` in the body selects the list (the path carries only the name); it is not a change.
  const list = mustFind(ctx.app, ctx.params.name!, teamOf(ctx, req.team));
  mustBeCustom(list);
  if (req.words !== undefined) list.words = checkWords(req.words, list.type, ctx.quotas, 'words');
  for (const f of FLAGS) if (req[f] !== undefined) list[f] = req[f];
  list.updated_at = nowIso(ctx.now);
  return { blocklist: list };
});

const deleteBlockList = route('DELETE', '/api/v2/blocklists/{name}', 'DeleteBlockList', (ctx) => {
  const list = mustFind(ctx.app, ctx.params.name!, teamOf(ctx));
  mustBeCustom(list);
  ctx.app.blocklists.delete(list.id);
  return {};
});

const importBlockList = route('POST', '/api/v2/blocklists/{id}/import', 'ImportBlockList', (ctx) => {
  const req = parseInput(importSchema, ctx.body);
  const id = ctx.params.id!;
  const list = orNotFound(ctx.app.blocklists.get(id), `blocklist with id ${id} does not exist`);
  mustBeCustom(list);
  const items = checkWords(req.items, list.type, ctx.quotas, 'items');
  const { app, quotas } = ctx;
  const taskId = ctx.tasks.create(app, 'import-blocklist', ctx.now, () => {
    // The list may have changed (or gone) between the request and the task's completion.
    const current = app.blocklists.get(id);
    if (!current) return { error: `blocklist with id ${id} does not exist` };
    const present = new Set<string>(current.words);
    const added = items.filter((w) => !present.has(w));
    if (present.size + added.length > quotas.blocklistWords) {
      return { error: `blocklist ${current.name} would have more than ${quotas.blocklistWords} words` };
    }
    current.words = [...current.words, ...added];
    current.updated_at = nowIso(Math.max(ctx.now, Date.parse(current.updated_at)));
    return { result: { blocklist_id: id, added: added.length, skipped: items.length - added.length, total: current.words.length } };
  });
  return { task_id: taskId };
});

export const blocklists: Resource = {
  name: 'blocklists',
  state: { blocklists: mapSlice() },
  seed: (app, { now }) => {
    const at = nowIso(now);
    app.blocklists.set(BUILTIN_BLOCKLIST_ID, {
      id: BUILTIN_BLOCKLIST_ID,
      name: BUILTIN_BLOCKLIST,
      type: 'word',
      words: [...BUILTIN_WORDS],
      ...Object.fromEntries(FLAGS.map((f) => [f, false])),
      created_at: at,
      updated_at: at,
    });
  },
  routes: [listBlockLists, createBlockList, getBlockList, updateBlockList, deleteBlockList, importBlockList],
};
