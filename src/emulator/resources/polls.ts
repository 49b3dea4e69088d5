import { z } from 'zod';
import { inputError, orNotFound } from '../errors.js';
import { mapSlice, type Resource } from '../resource.js';
import { route, type RequestContext } from '../router.js';
import { setOwn } from '../paths.js';
import type { AppState, Rec } from '../store.js';
import { nowIso, parseInput } from '../validate.js';
import { compare, POLL_QUERY, runQuery, VOTE_QUERY } from './poll-query.js';
import { userView } from './users/model.js';

/**
 * Polls. A poll is stored as its settings plus `options` (PollOptionResponseData) in read shape; everything
 * derived from votes (`vote_count`, `vote_counts_by_option`, `latest_votes_by_option`, `own_votes`, …) is
 * computed on read from `app.pollVotes` (poll id → PollVoteResponseData[]), which only QueryPollVotes reads.
 */

declare module '../store.js' {
  interface AppState {
    polls: Map<string, Rec>;
    /** poll id → its votes (PollVoteResponseData) */
    pollVotes: Map<string, Rec[]>;
  }
}

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

// ---- polls -----------------------------------------------------------------------------------------------

const findPoll = (app: AppState, id: string): Rec => orNotFound(app.polls.get(id), `poll ${id} does not exist`);
const pollByPath = (ctx: RequestContext): Rec => findPoll(ctx.app, ctx.params.poll_id!);

const findOption = (poll: Rec, optionId: string): Rec =>
  orNotFound((poll.options as Rec[]).find((o) => o.id === optionId), `poll option ${optionId} does not exist`);

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

const createPoll = route('POST', '/api/v2/polls', 'CreatePoll', (ctx) => {
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
});

const updatePoll = route('PUT', '/api/v2/polls', 'UpdatePoll', (ctx) => {
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
});

const queryPolls = route('POST', '/api/v2/polls/query', 'QueryPolls', (ctx) => {
  const viewer = ctx.query.get('user_id');
  const { page, next, prev } = runQuery(POLL_QUERY, [...ctx.app.polls.values()], ctx.body);
  return stripUndefined({ polls: page.map((p) => pollView(ctx.app, p, viewer)), next, prev });
});

const getPoll = route('GET', '/api/v2/polls/{poll_id}', 'GetPoll', (ctx) => pollResponse(ctx, pollByPath(ctx)));

const updatePollPartial = route('PATCH', '/api/v2/polls/{poll_id}', 'UpdatePollPartial', (ctx) => {
  const input = parseInput(partialSchema, ctx.body);
  const poll = pollByPath(ctx);
  const next = structuredClone(poll);
  applyPartial(next, input.set ?? {}, input.unset ?? []);
  next.updated_at = nowIso(ctx.now);
  ctx.app.polls.set(poll.id, next);
  return pollResponse(ctx, next, actorId(input));
});

const deletePoll = route('DELETE', '/api/v2/polls/{poll_id}', 'DeletePoll', (ctx) => {
  const poll = pollByPath(ctx);
  ctx.app.polls.delete(poll.id);
  ctx.app.pollVotes.delete(poll.id);
  return {};
});

const createPollOption = route('POST', '/api/v2/polls/{poll_id}/options', 'CreatePollOption', (ctx) => {
  const input = parseInput(createOptionSchema, ctx.body);
  const poll = pollByPath(ctx);
  requireUniqueTexts([...(poll.options as Rec[]).map((o) => ({ text: String(o.text) })), input]);
  const option = { id: ctx.newId(undefined, (candidate) => (poll.options as Rec[]).some((o) => o.id === candidate)), text: input.text, custom: input.custom ?? {} };
  (poll.options as Rec[]).push(option);
  poll.updated_at = nowIso(ctx.now);
  return { poll_option: option };
});

const updatePollOption = route('PUT', '/api/v2/polls/{poll_id}/options', 'UpdatePollOption', (ctx) => {
  const input = parseInput(updateOptionSchema, ctx.body);
  const poll = pollByPath(ctx);
  const option = findOption(poll, input.id);
  requireUniqueTexts([...(poll.options as Rec[]).filter((o) => o.id !== option.id).map((o) => ({ text: String(o.text) })), input]);
  option.text = input.text;
  option.custom = input.custom ?? {};
  poll.updated_at = nowIso(ctx.now);
  return { poll_option: option };
});

const getPollOption = route('GET', '/api/v2/polls/{poll_id}/options/{option_id}', 'GetPollOption', (ctx) => ({ poll_option: findOption(pollByPath(ctx), ctx.params.option_id!) }));

const deletePollOption = route('DELETE', '/api/v2/polls/{poll_id}/options/{option_id}', 'DeletePollOption', (ctx) => {
  const poll = pollByPath(ctx);
  const option = findOption(poll, ctx.params.option_id!);
  poll.options = (poll.options as Rec[]).filter((o) => o !== option);
  dropOrphanVotes(ctx.app, poll);
  poll.updated_at = nowIso(ctx.now);
  return {};
});

const queryPollVotes = route('POST', '/api/v2/polls/{poll_id}/votes', 'QueryPollVotes', (ctx) => {
  const poll = pollByPath(ctx);
  const { page, next, prev } = runQuery(VOTE_QUERY, ctx.app.pollVotes.get(poll.id) ?? [], ctx.body);
  return stripUndefined({ votes: page, next, prev });
});

export const polls: Resource = {
  name: 'polls',
  state: { polls: mapSlice(), pollVotes: mapSlice() },
  routes: [
    createPoll, updatePoll, queryPolls, getPoll, updatePollPartial, deletePoll,
    createPollOption, updatePollOption, getPollOption, deletePollOption, queryPollVotes,
  ],
};

/** Votes for options that no longer exist go with them (answers have no option and stay). */
function dropOrphanVotes(app: AppState, poll: Rec): void {
  const votes = app.pollVotes.get(poll.id);
  if (!votes) return;
  const ids = new Set((poll.options as Rec[]).map((o) => o.id));
  app.pollVotes.set(poll.id, votes.filter((v) => v.is_answer || ids.has(v.option_id)));
}
