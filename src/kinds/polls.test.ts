import { describe, expect, it } from 'vitest';
import { expectRejected, expectValidRequests, noMemory } from '../../test/support/kinds.js';
import { ConfigError } from '../core/errors.js';
import type { DesiredObject, Rec } from '../core/model.js';
import { diffFields } from '../plan/diff.js';
import { pollKind, pollLive, pollSchema } from './polls.js';
import type { Api, ApiRequest } from '../core/api.js';

const desired = (fields: Rec): DesiredObject => ({ kind: 'poll', address: `poll/${String(fields.id)}`, fields, sensitive: [], location: { file: 'stream.yaml', line: 3, col: 5 } });

/** The planned requests of a desired poll against a live one (or none: a create), through the real diff. */
function plan(fields: Rec, live?: Rec): ApiRequest[] {
  const want = desired(fields);
  const have = live ? pollLive(live, want) : undefined;
  const changes = diffFields(want, have, { spec: pollKind, ignoredFields: [], memory: noMemory }).filter((c) => c.path !== '/created_by_id');
  if (have && changes.length === 0) return [];
  return pollKind.requests({ action: have ? 'update' : 'create', address: want.address, desired: want, live: have, fields: changes });
}


/** GetPoll's answer (PollResponseData), votes and all. */
const LIVE: Rec = {
  id: 'csat',
  name: 'How did we do?',
  description: 'After each ticket',
  voting_visibility: 'anonymous',
  enforce_unique_vote: true,
  max_votes_allowed: 1,
  allow_user_suggested_options: false,
  allow_answers: false,
  is_closed: false,
  custom: { team: 'support' },
  created_by_id: 'support-bot',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  options: [
    { id: 'o-great', text: 'Great', custom: {} },
    { id: 'o-ok', text: 'OK', custom: { emoji: 'neutral' } },
    { id: 'o-bad', text: 'Bad', custom: {} },
  ],
  vote_count: 7,
  answers_count: 0,
  vote_counts_by_option: { 'o-great': 5, 'o-ok': 2 },
  latest_votes_by_option: {},
  latest_answers: [],
  own_votes: [],
};
const FILE: Rec = {
  id: 'csat',
  name: 'How did we do?',
  enforce_unique_vote: true,
  max_votes_allowed: 1,
  voting_visibility: 'anonymous',
  options: [{ text: 'Great' }, { text: 'OK' }, { text: 'Bad' }],
};

describe('poll schema', () => {
  it.each<[string, Rec]>([
    ['the product example', FILE],
    ['a creator, custom data and option custom data', { id: 'p', name: 'P', created_by_id: 'bot', custom: { team: 'a' }, options: [{ text: 'A', custom: { x: 1 } }] }],
    ['options left unmanaged', { id: 'p', name: 'P' }],
    ['no options', { id: 'p', name: 'P', options: [] }],
  ])('accepts %s', (_name, value) => {
    expect(pollSchema.safeParse(value).success).toBe(true);
  });

  it.each<[string, Rec, RegExp]>([
    ['a missing id', { name: 'P' }, /^id: /],
    ['a slash in the id', { id: 'a/b', name: 'P' }, /must not contain "\/"/],
    ['a missing name', { id: 'p' }, /^name: /],
    ['an unknown visibility', { id: 'p', name: 'P', voting_visibility: 'secret' }, /^voting_visibility: /],
    ['more than 10 votes', { id: 'p', name: 'P', max_votes_allowed: 11 }, /at most 10/],
    ['zero votes', { id: 'p', name: 'P', max_votes_allowed: 0 }, /at least 1/],
    ['the same option twice', { id: 'p', name: 'P', options: [{ text: 'A' }, { text: 'A' }] }, /options\.1: options lists "A" twice/],
    ['an empty option', { id: 'p', name: 'P', options: [{ text: '' }] }, /must not be empty/],
    ['an option id (options are matched by text)', { id: 'p', name: 'P', options: [{ id: 'x', text: 'A' }] }, /unrecognized key.*"id"/i],
    ['votes (user data)', { id: 'p', name: 'P', votes: [] }, /unrecognized key.*"votes"/i],
    ['a poll field under custom', { id: 'p', name: 'P', custom: { is_closed: true } }, /"is_closed" is a poll field/],
    ['a dot in a custom key', { id: 'p', name: 'P', custom: { 'a.b': 1 } }, /must not contain "\."/],
    ['a malformed creator', { id: 'p', name: 'P', created_by_id: 'a b' }, /letters, digits/],
  ])('rejects %s', (_name, value, message) => expectRejected(pollSchema, value, message));
});

describe('live polls in the file shape', () => {
  it('keeps settings, custom data, the creator and option texts; drops votes and timestamps', () => {
    const live = pollLive(LIVE);
    expect(live.address).toBe('poll/csat');
    expect(live.fields).toEqual({
      id: 'csat',
      name: 'How did we do?',
      description: 'After each ticket',
      voting_visibility: 'anonymous',
      enforce_unique_vote: true,
      max_votes_allowed: 1,
      allow_user_suggested_options: false,
      allow_answers: false,
      is_closed: false,
      custom: { team: 'support' },
      created_by_id: 'support-bot',
      // Undeclared poll: an option's custom data shows when it holds something.
      options: [{ text: 'Great' }, { text: 'OK', custom: { emoji: 'neutral' } }, { text: 'Bad' }],
      option_ids: { Great: 'o-great', OK: 'o-ok', Bad: 'o-bad' },
    });
  });

  it('shows an option\'s custom data exactly when the declared option declares it', () => {
    const want = desired({ ...FILE, options: [{ text: 'Great', custom: {} }, { text: 'OK' }, { text: 'Bad' }] });
    expect(pollLive(LIVE, want).fields.options).toEqual([{ text: 'Great', custom: {} }, { text: 'OK' }, { text: 'Bad' }]);
  });

  it('exports without option ids, empty descriptions or empty custom data', () => {
    const out = pollKind.toFile!(pollLive({ ...LIVE, description: '', custom: {} }), []);
    expect(out).not.toHaveProperty('option_ids');
    expect(out).not.toHaveProperty('description');
    expect(out).not.toHaveProperty('custom');
    expect(out).toMatchObject({ id: 'csat', created_by_id: 'support-bot', options: [{ text: 'Great' }, { text: 'OK', custom: { emoji: 'neutral' } }, { text: 'Bad' }] });
    // The export is itself a valid file entry.
    expect(pollSchema.safeParse(out).success).toBe(true);
  });
});

describe('poll requests', () => {
  it('creates with every declared field, the options in file order and the creator as user_id', () => {
    const reqs = plan({ ...FILE, created_by_id: 'support-bot', custom: { team: 'support' } });
    expect(reqs).toEqual([
      {
        op: 'CreatePoll',
        method: 'POST',
        path: '/api/v2/polls',
        body: { ...FILE, custom: { team: 'support' }, user_id: 'support-bot' },
        idempotent: false,
      },
    ]);
    expectValidRequests(reqs);
  });

  it('plans nothing when the declared fields match, whatever the option order or the votes', () => {
    expect(plan({ ...FILE, options: [{ text: 'Bad' }, { text: 'Great' }, { text: 'OK' }] }, LIVE)).toEqual([]);
  });

  it('updates only the settings that differ, by a partial update in the creator\'s name', () => {
    const reqs = plan({ ...FILE, name: 'How was it?', is_closed: true }, LIVE);
    expect(reqs).toEqual([
      { op: 'UpdatePollPartial', method: 'PATCH', path: '/api/v2/polls/{poll_id}', params: { poll_id: 'csat' }, body: { user_id: 'support-bot', set: { name: 'How was it?', is_closed: true } }, idempotent: true },
    ]);
    expectValidRequests(reqs);
  });

  it('sets custom keys by their own name, and `custom: {}` unsets the live ones', () => {
    expect(plan({ ...FILE, custom: { team: 'sales', tier: 2 } }, LIVE)[0]!.body).toEqual({ user_id: 'support-bot', set: { team: 'sales', tier: 2 } });
    const cleared = plan({ ...FILE, custom: {} }, LIVE);
    expect(cleared[0]!.body).toEqual({ user_id: 'support-bot', unset: ['team'] });
    expectValidRequests(cleared);
  });

  it('adds, removes and changes options by text: deletes first, then creates, then updates; votes are never sent', () => {
    const reqs = plan({ ...FILE, options: [{ text: 'Great' }, { text: 'OK', custom: { emoji: 'meh' } }, { text: 'Superb' }] }, LIVE);
    expect(reqs).toEqual([
      { op: 'DeletePollOption', method: 'DELETE', path: '/api/v2/polls/{poll_id}/options/{option_id}', params: { poll_id: 'csat', option_id: 'o-bad' }, query: { user_id: 'support-bot' }, idempotent: true },
      { op: 'CreatePollOption', method: 'POST', path: '/api/v2/polls/{poll_id}/options', params: { poll_id: 'csat' }, body: { text: 'Superb', user_id: 'support-bot' }, idempotent: false },
      { op: 'UpdatePollOption', method: 'PUT', path: '/api/v2/polls/{poll_id}/options', params: { poll_id: 'csat' }, body: { id: 'o-ok', text: 'OK', custom: { emoji: 'meh' }, user_id: 'support-bot' }, idempotent: true },
    ]);
    expect(reqs.some((r) => /vote/i.test(r.op))).toBe(false);
    expectValidRequests(reqs);
  });

  it('`options: []` removes every option; options left out are not managed', () => {
    expect(plan({ ...FILE, options: [] }, LIVE).map((r) => [r.op, r.params?.option_id])).toEqual([
      ['DeletePollOption', 'o-great'],
      ['DeletePollOption', 'o-ok'],
      ['DeletePollOption', 'o-bad'],
    ]);
    const { options: _o, ...withoutOptions } = FILE;
    expect(plan(withoutOptions, LIVE)).toEqual([]);
  });

  it('deletes with DeletePoll', () => {
    const live = pollLive(LIVE);
    expect(pollKind.requests({ action: 'delete', address: live.address, live, fields: [] })).toEqual([
      { op: 'DeletePoll', method: 'DELETE', path: '/api/v2/polls/{poll_id}', params: { poll_id: 'csat' }, idempotent: true },
    ]);
  });

  it('a changed creator is not a change (it is immutable: the plan warns)', () => {
    expect(pollKind.immutableFields).toEqual(['/created_by_id']);
  });
});

describe('poll fetch', () => {
  function fakeApi(polls: Rec[]): Api & { sent: ApiRequest[] } {
    const sent: ApiRequest[] = [];
    return {
      sent,
      async send<T>(req: ApiRequest): Promise<T> {
        sent.push(req);
        if (req.op === 'GetPoll') {
          const found = polls.find((p) => p.id === req.params!.poll_id);
          if (!found) throw Object.assign(new Error('GetPoll: HTTP 404'), { status: 404 });
          return { poll: found } as T;
        }
        if (req.op === 'QueryPolls') {
          const body = req.body as { next?: string };
          const start = body.next ? Number(body.next) : 0;
          const page = polls.slice(start, start + 100);
          return (start + 100 < polls.length ? { polls: page, next: String(start + 100) } : { polls: page }) as T;
        }
        throw new Error(`unexpected ${req.op}`);
      },
    };
  }

  it('reads declared polls by id (404 is absent) and never lists the app\'s polls', async () => {
    const api = fakeApi([LIVE]);
    const live = await pollKind.fetch(api, [desired(FILE), desired({ id: 'new', name: 'New', created_by_id: 'bot' })], { complete: false });
    expect(live.map((l) => l.address)).toEqual(['poll/csat']);
    expect(api.sent.map((r) => r.op)).toEqual(['GetPoll', 'GetPoll']);
  });

  it('pages through QueryPolls when undeclared polls are needed', async () => {
    const many = Array.from({ length: 230 }, (_, i) => ({ ...LIVE, id: `p${i}` }));
    const api = fakeApi(many);
    const live = await pollKind.fetch(api, [], { complete: true });
    expect(live).toHaveLength(230);
    expect(api.sent.map((r) => r.op)).toEqual(['QueryPolls', 'QueryPolls', 'QueryPolls']);
  });

  it('a declared poll that does not exist and names no creator is a located error', async () => {
    const err = await pollKind.fetch(fakeApi([]), [desired({ id: 'csat', name: 'X' })], { complete: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([
      { message: 'poll/csat does not exist yet and declares no created_by_id: CreatePoll needs the user the poll is created by', location: { file: 'stream.yaml', line: 3, col: 5 } },
    ]);
  });

  it('an existing poll is managed without its creator', async () => {
    await expect(pollKind.fetch(fakeApi([LIVE]), [desired(FILE)], { complete: false })).resolves.toHaveLength(1);
  });
});
