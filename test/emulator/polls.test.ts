import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { seedUser } from '../contract/data.cases.js';

describe('polls', () => {
  const env = useEmulator();
  const createPoll = (body: object) => env.api.call({ method: 'POST', path: '/api/v2/polls', body: { user_id: 'owner', ...body } });
  const query = (body: object) => env.api.call({ method: 'POST', path: '/api/v2/polls/query', body });

  it('creates a poll with defaults, generated option ids and created_by from the user', async () => {
    seedUser(env.emu, 'owner');
    const r = await createPoll({ name: 'Lunch?', options: [{ text: 'Pizza' }, { text: 'Sushi', custom: { spicy: false } }] });
    expect(r.status).toBe(201);
    expect(r.body.poll).toMatchObject({
      name: 'Lunch?',
      description: '',
      voting_visibility: 'public',
      enforce_unique_vote: false,
      is_closed: false,
      created_by_id: 'owner',
      created_by: { id: 'owner' },
      vote_count: 0,
      vote_counts_by_option: {},
      own_votes: [],
    });
    expect(r.body.poll.options.map((o: { text: string }) => o.text)).toEqual(['Pizza', 'Sushi']);
    expect(new Set(r.body.poll.options.map((o: { id: string }) => o.id)).size).toBe(2);
  });

  it('requires a user on server-side create and validates enums and ranges', async () => {
    const noUser = await env.api.call({ method: 'POST', path: '/api/v2/polls', body: { name: 'x' } });
    expect([noUser.status, noUser.body.code]).toEqual([400, 4]);
    const bad = { skipRequestValidation: true };
    expect((await env.api.call({ method: 'POST', path: '/api/v2/polls', body: { name: 'x', user_id: 'u', max_votes_allowed: 11 } }, bad)).status).toBe(400);
    expect((await env.api.call({ method: 'POST', path: '/api/v2/polls', body: { name: 'x', user_id: 'u', voting_visibility: 'hidden' } }, bad)).status).toBe(400);
  });

  it('rejects a duplicate poll id and duplicate option texts', async () => {
    await createPoll({ id: 'fixed-id', name: 'one' });
    expect((await createPoll({ id: 'fixed-id', name: 'two' })).status).toBe(400);
    expect((await createPoll({ name: 'dups', options: [{ text: 'a' }, { text: 'a' }] })).status).toBe(400);
  });

  it('keeps option texts unique across create and update of options', async () => {
    const p = (await createPoll({ name: 'opts', options: [{ text: 'red' }, { text: 'blue' }] })).body.poll;
    const path = `/api/v2/polls/${p.id}/options`;
    const dup = await env.api.call({ method: 'POST', path, body: { text: 'red' } });
    expect([dup.status, dup.body.code]).toEqual([400, 4]);
    const green = await env.api.call({ method: 'POST', path, body: { text: 'green', custom: { hex: '0f0' } } });
    expect(green.body.poll_option).toMatchObject({ text: 'green', custom: { hex: '0f0' } });
    expect((await env.api.call({ method: 'PUT', path, body: { id: green.body.poll_option.id, text: 'blue' } })).status).toBe(400);
    // Renaming an option to its own text is not a duplicate.
    expect((await env.api.call({ method: 'PUT', path, body: { id: green.body.poll_option.id, text: 'green' } })).status).toBe(201);
    expect((await env.api.call({ method: 'PUT', path, body: { id: 'nope', text: 'x' } })).status).toBe(404);
    const got = await env.api.call({ method: 'GET', path: `/api/v2/polls/${p.id}` });
    expect(got.body.poll.options.map((o: { text: string }) => o.text)).toEqual(['red', 'blue', 'green']);
  });

  it('replaces the whole poll on UpdatePoll, keeping options by id', async () => {
    const p = (await createPoll({ name: 'full', description: 'old', is_closed: true, options: [{ text: 'a' }, { text: 'b' }] })).body.poll;
    const keep = p.options[0].id;
    const r = await env.api.call({ method: 'PUT', path: '/api/v2/polls', body: { id: p.id, name: 'full 2', options: [{ id: keep, text: 'a2' }, { id: 'new-opt', text: 'c' }] } });
    expect(r.body.poll).toMatchObject({ name: 'full 2', description: '', is_closed: false });
    expect(r.body.poll.options).toEqual([
      { id: keep, text: 'a2', custom: {} },
      { id: 'new-opt', text: 'c', custom: {} },
    ]);
  });

  it('sets and unsets fields with UpdatePollPartial, putting unknown keys into custom', async () => {
    const p = (await createPoll({ name: 'partial', description: 'desc', max_votes_allowed: 3 })).body.poll;
    const path = `/api/v2/polls/${p.id}`;
    const r = await env.api.call({ method: 'PATCH', path, body: { set: { is_closed: true, color: 'red' }, unset: ['description', 'max_votes_allowed'] } });
    expect(r.status).toBe(200);
    expect(r.body.poll).toMatchObject({ is_closed: true, description: '', custom: { color: 'red' } });
    expect(r.body.poll).not.toHaveProperty('max_votes_allowed');
    expect((await env.api.call({ method: 'PATCH', path, body: { unset: ['name'] } })).status).toBe(400);
    expect((await env.api.call({ method: 'PATCH', path, body: { set: { options: [] } } })).status).toBe(400);
    expect((await env.api.call({ method: 'PATCH', path, body: { set: { max_votes_allowed: 20 } } })).status).toBe(400);
    // A rejected patch changes nothing.
    expect((await env.api.call({ method: 'GET', path })).body.poll.is_closed).toBe(true);
  });

  it('pages QueryPolls with next and prev cursors under a filter and sort', async () => {
    const names = Array.from({ length: 7 }, (_, i) => `paged ${i}`);
    for (const name of names) await createPoll({ name, custom: { batch: 'paging' } });
    const filter = { 'custom.batch': 'paging' };
    const sort = [{ field: 'name', direction: 1 }];
    const seen: string[] = [];
    let next: string | undefined;
    const pages: { next?: string; prev?: string }[] = [];
    do {
      const r = await query({ filter, sort, limit: 3, next });
      seen.push(...r.body.polls.map((p: { name: string }) => p.name));
      pages.push(r.body);
      next = r.body.next;
    } while (next);
    expect(seen).toEqual(names);
    expect(pages[0]!.prev).toBeUndefined();
    const back = await query({ filter, sort, limit: 3, prev: pages[1]!.prev });
    expect(back.body.polls.map((p: { name: string }) => p.name)).toEqual(names.slice(0, 3));
    const garbage = await query({ filter, next: 'not-a-cursor' });
    expect(garbage.status).toBe(400);
  });

  it('filters QueryPolls with operators and rejects unknown fields and sort keys', async () => {
    await createPoll({ id: 'closed-one', name: 'closed', is_closed: true, max_votes_allowed: 5 });
    const r = await query({ filter: { $and: [{ is_closed: true }, { max_votes_allowed: { $gte: 5 } }], id: { $in: ['closed-one', 'x'] } } });
    expect(r.body.polls.map((p: { id: string }) => p.id)).toEqual(['closed-one']);
    expect((await query({ filter: { name: { $gt: 'a' } } })).status).toBe(400);
    expect((await query({ sort: [{ field: 'vote_count' }] })).status).toBe(400);
  });

  it('answers votes with counts, own votes and paged QueryPollVotes', async () => {
    const p = (await createPoll({ name: 'votes', options: [{ text: 'x' }, { text: 'y' }] })).body.poll;
    const [x, y] = p.options.map((o: { id: string }) => o.id);
    const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString();
    const vote = (id: string, option: string, user: string, s: number) => ({ id, poll_id: p.id, option_id: option, user_id: user, created_at: at(s), updated_at: at(s) });
    env.emu.app().pollVotes.set(p.id, [vote('v1', x, 'ann', 1), vote('v2', x, 'bob', 2), vote('v3', y, 'ann', 3)]);
    const got = await env.api.call({ method: 'GET', path: `/api/v2/polls/${p.id}`, query: { user_id: 'ann' } });
    expect(got.body.poll).toMatchObject({ vote_count: 3, vote_counts_by_option: { [x]: 2, [y]: 1 } });
    expect(got.body.poll.own_votes.map((v: { id: string }) => v.id)).toEqual(['v3', 'v1']);
    const page1 = await env.api.call({ method: 'POST', path: `/api/v2/polls/${p.id}/votes`, body: { limit: 2, sort: [{ field: 'created_at', direction: 1 }] } });
    expect(page1.body.votes.map((v: { id: string }) => v.id)).toEqual(['v1', 'v2']);
    const page2 = await env.api.call({ method: 'POST', path: `/api/v2/polls/${p.id}/votes`, body: { limit: 2, sort: [{ field: 'created_at', direction: 1 }], next: page1.body.next } });
    expect(page2.body.votes.map((v: { id: string }) => v.id)).toEqual(['v3']);
    expect(page2.body.next).toBeUndefined();
    // Deleting an option takes its votes with it.
    await env.api.call({ method: 'DELETE', path: `/api/v2/polls/${p.id}/options/${x}` });
    expect((await env.api.call({ method: 'GET', path: `/api/v2/polls/${p.id}` })).body.poll.vote_count).toBe(1);
  });

  it('answers 404/16 for a deleted poll and its options', async () => {
    const p = (await createPoll({ name: 'doomed', options: [{ text: 'a' }] })).body.poll;
    await env.api.call({ method: 'DELETE', path: `/api/v2/polls/${p.id}` });
    const gone = await env.api.call({ method: 'GET', path: `/api/v2/polls/${p.id}` });
    expect([gone.status, gone.body.code]).toEqual([404, 16]);
    expect((await env.api.call({ method: 'GET', path: `/api/v2/polls/${p.id}/options/${p.options[0].id}` })).status).toBe(404);
    expect((await env.api.call({ method: 'POST', path: `/api/v2/polls/${p.id}/votes`, body: {} })).status).toBe(404);
  });
});
