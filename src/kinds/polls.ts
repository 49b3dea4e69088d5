import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { DesiredObject, LiveObject, Rec } from '../core/model.js';
import { canonicalJson } from '../core/canonical.js';
import { addressPart, changedTopLevel, defineKind, getOrUndefined, isRecord, liveObject, overlay, paginate, pick } from './define.js';
import type { ChangeInput } from './types.js';
import type { Api, ApiRequest } from '../core/api.js';
import { noDuplicates, userIdSchema } from './users/ids.js';
import { fromPointer } from '../core/pointer.js';

/**
 * Polls (`poll/<id>`; the id is required in the file so a poll is addressable). Settings are written with
 * UpdatePollPartial (`set`/`unset` of the fields that differ: UpdatePoll would reset every setting it is not
 * sent). Options are matched by their text and compared as a set: an added text is CreatePollOption, a removed
 * one DeletePollOption, an option whose declared `custom` differs UpdatePollOption. Their order is the file's at
 * creation; later additions are appended, and order alone is not drift (UpdatePoll could reorder, but needs the
 * ids of options that do not exist yet). Votes are user data: stream-sync never reads or writes them; Stream drops
 * the votes of an option that is deleted.
 *
 * CreatePoll, server-side, needs the user the poll is created by: `created_by_id` in the file. A poll that exists
 * is managed without it; one that must be created and does not say it is a located error at plan time. The
 * creator cannot change afterwards (a difference is a plan warning).
 */
const SETTINGS = ['name', 'description', 'voting_visibility', 'enforce_unique_vote', 'max_votes_allowed', 'allow_user_suggested_options', 'allow_answers', 'is_closed'] as const;
/** PollResponseData's own fields: custom data may not use these names (UpdatePollPartial sets custom keys by name). */
const RESERVED = new Set<string>([
  ...SETTINGS,
  'id',
  'custom',
  'options',
  'created_by_id',
  'created_by',
  'created_at',
  'updated_at',
  'vote_count',
  'answers_count',
  'vote_counts_by_option',
  'latest_votes_by_option',
  'latest_answers',
  'own_votes',
]);
/** The live options' ids by text (not a file field: never declared, never compared, needed to address options). */
const OPTION_IDS = 'option_ids';
const QUERY_LIMIT = 100;

const customData = z.record(z.string(), z.unknown()).superRefine((custom, ctx) => {
  for (const key of Object.keys(custom)) {
    if (key === '') ctx.addIssue({ code: 'custom', message: 'a custom field name must not be empty', path: [key] });
    else if (RESERVED.has(key)) ctx.addIssue({ code: 'custom', message: `"${key}" is a poll field: declare it beside id, not under custom`, path: [key] });
    else if (key.includes('.')) ctx.addIssue({ code: 'custom', message: `custom field "${key}" must not contain "." (partial updates read dots as nested paths)`, path: [key] });
  }
});

const optionSchema = z
  .object({
    text: z.string().min(1, 'an option text must not be empty').describe('The option\'s text; options are matched by text.'),
    /** The option's custom data, managed whole when declared. */
    custom: z.record(z.string(), z.unknown()).optional().describe('The option\'s custom data, managed whole when declared.'),
  })
  .strict();

export const pollSchema = z
  .object({
    id: addressPart('a poll id', 255).describe('Identity: the poll\'s id (`poll/<id>`), as messages reference it.'),
    name: z.string().min(1, 'a poll name must not be empty').describe('The poll\'s question or title.'),
    description: z.string().optional().describe('A longer description of the poll.'),
    voting_visibility: z.enum(['anonymous', 'public']).optional().describe('Who is shown who voted for what: public (everyone) or anonymous (no one).'),
    enforce_unique_vote: z.boolean().optional().describe('Whether a user may vote for only one option.'),
    max_votes_allowed: z.number().int().min(1, 'max_votes_allowed must be at least 1').max(10, 'max_votes_allowed must be at most 10').optional().describe('The most votes a user may cast (1 to 10).'),
    allow_user_suggested_options: z.boolean().optional().describe('Whether users may suggest new options.'),
    allow_answers: z.boolean().optional().describe('Whether users may add free-text answers.'),
    is_closed: z.boolean().optional().describe('Whether voting is closed.'),
    custom: customData.optional().describe('Custom data: your own fields (names not those of poll fields, without dots).'),
    /** Matched by text (a set): each text once. Unlisted, options are not managed; `[]` means "no options". */
    options: z
      .array(optionSchema)
      .superRefine((options, ctx) => noDuplicates('options')(options.map((o) => o.text), ctx))
      .optional()
      .describe('The options, matched by text (a set); absent: options are not managed; [] means no options.'),
    /** The user CreatePoll creates the poll for (required to create it; fixed afterwards). */
    created_by_id: userIdSchema.optional().describe('The user CreatePoll creates the poll for; required to create it, fixed afterwards.'),
  })
  .strict();

const address = (id: unknown) => `poll/${String(id)}`;

interface Option {
  text: string;
  custom?: Rec;
}

/**
 * A PollResponseData in the file's shape. An option carries `custom` when the declared option with its text
 * declares it (that is what is managed), or, for a poll the file does not declare, when it holds something.
 */
export function pollLive(p: Rec, desired?: DesiredObject): LiveObject {
  const fields = pick(p, ['id', ...SETTINGS, 'custom', 'created_by_id']);
  if (!isRecord(fields.custom)) fields.custom = {};
  const declaredCustom = new Set(((desired?.fields.options as Option[] | undefined) ?? []).filter((o) => o.custom !== undefined).map((o) => o.text));
  const options = ((p.options as Rec[] | undefined) ?? []).map((o): Option => {
    const custom = isRecord(o.custom) ? o.custom : {};
    const keep = desired ? declaredCustom.has(String(o.text)) : Object.keys(custom).length > 0;
    return keep ? { text: String(o.text), custom } : { text: String(o.text) };
  });
  fields.options = options;
  fields[OPTION_IDS] = Object.fromEntries(((p.options as Rec[] | undefined) ?? []).map((o) => [String(o.text), String(o.id)]));
  return liveObject('poll', address(p.id), fields);
}

async function getPoll(api: Api, id: string): Promise<Rec | undefined> {
  return (await getOrUndefined<{ poll?: Rec }>(api, { op: 'GetPoll', method: 'GET', path: '/api/v2/polls/{poll_id}', params: { poll_id: id }, idempotent: true }))?.poll;
}

/** Every poll of the app, page by page (`next`). */
const queryAll = (api: Api) =>
  paginate<{ polls?: Rec[]; next?: string }>(
    api,
    (next) => ({ op: 'QueryPolls', method: 'POST', path: '/api/v2/polls/query', body: next ? { limit: QUERY_LIMIT, next } : { limit: QUERY_LIMIT }, idempotent: true }),
    (res) => ({ items: res.polls ?? [], next: res.next }),
  );

/** `user_id` for server-side calls that act on a poll: its creator, when known. */
const actor = (live: LiveObject | undefined) => (typeof live?.fields.created_by_id === 'string' && live.fields.created_by_id ? { user_id: live.fields.created_by_id } : {});

/** UpdatePollPartial's `set` and `unset` for the settings and custom keys that differ. */
export function partialUpdate({ desired, live, fields }: Pick<ChangeInput, 'desired' | 'live' | 'fields'>): { set: Rec; unset: string[] } {
  const want = desired!.fields;
  const have = live?.fields ?? {};
  const set: Rec = {};
  const unset: string[] = [];
  for (const { path } of fields) {
    const [top, key] = fromPointer(path);
    if (top === 'custom') {
      const wantCustom = (want.custom ?? {}) as Rec;
      const haveCustom = (isRecord(have.custom) ? have.custom : {}) as Rec;
      if (key === undefined) {
        // An explicit `custom: {}`: no custom data.
        unset.push(...Object.keys(haveCustom).filter((k) => !(k in wantCustom)));
        continue;
      }
      // Custom keys are set by their own name; a nested change writes the key whole, unmanaged nested keys kept.
      set[key] = path === `/custom/${key}` ? wantCustom[key] : overlay(haveCustom[key], wantCustom[key]);
      continue;
    }
    if (top && (SETTINGS as readonly string[]).includes(top)) set[top] = want[top];
  }
  return { set, unset: [...new Set(unset)].sort() };
}

/** The option requests that make the live options the declared set: deletes first (they free texts), then creates, then updates. */
export function optionRequests(pollId: string, want: readonly Option[], live: LiveObject): ApiRequest[] {
  const have = (live.fields.options as Option[] | undefined) ?? [];
  const ids = (live.fields[OPTION_IDS] ?? {}) as Record<string, string>;
  const wanted = new Map(want.map((o) => [o.text, o]));
  const haveByText = new Map(have.map((o) => [o.text, o]));
  const who = actor(live);
  const out: ApiRequest[] = [];
  for (const o of have) {
    if (wanted.has(o.text) || !ids[o.text]) continue;
    out.push({ op: 'DeletePollOption', method: 'DELETE', path: '/api/v2/polls/{poll_id}/options/{option_id}', params: { poll_id: pollId, option_id: ids[o.text]! }, query: who, idempotent: true });
  }
  for (const o of want) {
    if (haveByText.has(o.text)) continue;
    // A create answers the new option, or fails ambiguously: it is not re-sent blindly (a second would duplicate the text).
    out.push({ op: 'CreatePollOption', method: 'POST', path: '/api/v2/polls/{poll_id}/options', params: { poll_id: pollId }, body: { ...o, ...who }, idempotent: false });
  }
  for (const o of want) {
    const cur = haveByText.get(o.text);
    if (!cur || o.custom === undefined || canonicalJson(o.custom) === canonicalJson(cur.custom ?? {}) || !ids[o.text]) continue;
    out.push({ op: 'UpdatePollOption', method: 'PUT', path: '/api/v2/polls/{poll_id}/options', params: { poll_id: pollId }, body: { id: ids[o.text], text: o.text, custom: o.custom, ...who }, idempotent: true });
  }
  return out;
}

export const pollKind = defineKind({
  kind: 'poll',
  section: 'polls',
  schema: z.array(pollSchema),
  // The creator may be a user the same file declares.
  dependsOn: ['user'],
  setFields: ['/options'],
  identityFields: ['id'],
  immutableFields: ['/created_by_id'],
  /**
   * Declared polls by id (GetPoll; 404 is "absent"); every poll (QueryPolls) when the plan needs undeclared ones
   * too (pruning, export). A declared poll that is absent and names no creator cannot be created: a located error
   * before any write.
   */
  async fetch(api, desired, { complete }) {
    const declared = new Map(desired.map((d) => [String(d.fields.id), d]));
    const found = complete ? await queryAll(api) : (await Promise.all([...declared.keys()].map((id) => getPoll(api, id)))).filter((p): p is Rec => p !== undefined);
    const present = new Set(found.map((p) => String(p.id)));
    const issues = desired
      .filter((d) => !present.has(String(d.fields.id)) && d.fields.created_by_id === undefined)
      .map((d) => ({ message: `${d.address} does not exist yet and declares no created_by_id: CreatePoll needs the user the poll is created by`, location: d.location }));
    if (issues.length) throw new ConfigError(issues);
    return found.map((p) => pollLive(p, declared.get(String(p.id))));
  },
  requests(change) {
    const { action, desired, live, fields } = change;
    const id = String((desired ?? live)!.fields.id);
    if (action === 'delete') return [{ op: 'DeletePoll', method: 'DELETE', path: '/api/v2/polls/{poll_id}', params: { poll_id: id }, idempotent: true }];
    const want = desired!.fields;
    if (action === 'create') {
      const body: Rec = { id, ...pick(want, [...SETTINGS, 'custom', 'options']), user_id: want.created_by_id };
      return [{ op: 'CreatePoll', method: 'POST', path: '/api/v2/polls', body, idempotent: false }];
    }
    const out: ApiRequest[] = [];
    const { set, unset } = partialUpdate(change);
    if (Object.keys(set).length || unset.length) {
      const body: Rec = { ...actor(live) };
      if (Object.keys(set).length) body.set = set;
      if (unset.length) body.unset = unset;
      out.push({ op: 'UpdatePollPartial', method: 'PATCH', path: '/api/v2/polls/{poll_id}', params: { poll_id: id }, body, idempotent: true });
    }
    if (changedTopLevel(fields).includes('options')) out.push(...optionRequests(id, (want.options as Option[] | undefined) ?? [], live!));
    return out;
  },
  async reread(api, desired) {
    const found = await getPoll(api, String(desired.fields.id));
    return found ? pollLive(found, desired) : undefined;
  },
  // Polls are mostly what end users create in chat: exported only when `--kinds` names them.
  exportByDefault: false,
  toFile(live) {
    const { [OPTION_IDS]: _ids, ...fields } = live.fields;
    const out: Rec = { ...fields };
    if (out.description === '') delete out.description;
    if (isRecord(out.custom) && Object.keys(out.custom).length === 0) delete out.custom;
    return out;
  },
});
