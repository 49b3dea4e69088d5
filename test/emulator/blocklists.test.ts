import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';

const BUILTIN = 'profanity_en_2020_v1';
const words = (n: number, len = 8) => Array.from({ length: n }, (_, i) => `w${String(i).padStart(len - 1, '0')}`);

describe('block lists', () => {
  const env = useEmulator();
  const create = (body: Record<string, unknown>, opts?: { skipRequestValidation?: boolean }) =>
    env.api.call({ method: 'POST', path: '/api/v2/blocklists', body }, opts);
  const get = (name: string, team?: string) => env.api.call({ method: 'GET', path: `/api/v2/blocklists/${encodeURIComponent(name)}`, query: { team } });

  it('seeds the built-in profanity list like any other list, without a built-in flag', async () => {
    const r = await get(BUILTIN);
    expect(r.status).toBe(200);
    expect(r.body.blocklist).toMatchObject({ name: BUILTIN, type: 'word' });
    expect(r.body.blocklist.words.length).toBeGreaterThan(5);
    expect(Object.keys(r.body.blocklist).sort()).toEqual(
      ['created_at', 'id', 'is_confusable_folding_enabled', 'is_leet_check_enabled', 'is_plural_check_enabled', 'is_substring_matching_enabled', 'name', 'type', 'updated_at', 'words'].sort(),
    );
  });

  it('refuses to change or delete the built-in list', async () => {
    const put = await env.api.call({ method: 'PUT', path: `/api/v2/blocklists/${BUILTIN}`, body: { words: ['x'] } });
    expect([put.status, put.body.code]).toEqual([403, 17]);
    const del = await env.api.call({ method: 'DELETE', path: `/api/v2/blocklists/${BUILTIN}` });
    expect([del.status, del.body.code]).toEqual([403, 17]);
  });

  it('creates a list with defaults filled in and answers it', async () => {
    const r = await create({ name: 'cakes', words: ['fudge', 'cream', 'fudge'], user_id: 'owner-1' });
    expect(r.status).toBe(201);
    expect(r.body.blocklist).toMatchObject({ name: 'cakes', type: 'word', words: ['fudge', 'cream'], owner_user_id: 'owner-1', is_leet_check_enabled: false });
    expect((await get('cakes')).body.blocklist).toEqual(r.body.blocklist);
  });

  it('rejects a duplicate name with 400/4 but allows the same name in another team', async () => {
    await create({ name: 'dupe', words: ['a'] });
    const dup = await create({ name: 'dupe', words: ['b'] });
    expect([dup.status, dup.body.code]).toEqual([400, 4]);
    expect(dup.body.message).toMatch(/^CreateBlockList failed with error: ".*already exists"$/);
    const teamed = await create({ name: 'dupe', words: ['c'], team: 'blue' });
    expect(teamed.status).toBe(201);
    expect((await get('dupe', 'blue')).body.blocklist.words).toEqual(['c']);
    expect((await get('dupe')).body.blocklist.words).toEqual(['a']);
  });

  it('validates names, words and types against the published limits', async () => {
    expect((await create({ name: 'n'.repeat(255), words: ['a'] })).status).toBe(201);
    const longName = await create({ name: 'n'.repeat(256), words: ['a'] }, { skipRequestValidation: true });
    expect([longName.status, longName.body.exception_fields?.name]).toEqual([400, 'name must be a maximum of 255 characters in length']);
    expect((await create({ name: 'max-words', words: words(10_000, 40) })).status).toBe(201);
    expect((await create({ name: 'too-many-words', words: words(10_001) })).status).toBe(400);
    expect((await create({ name: 'long-word', words: ['x'.repeat(41)] })).status).toBe(400);
    // Word length counts characters (code points): 40 emoji are 40 characters, not 80 UTF-16 code units.
    expect((await create({ name: 'emoji-words', words: ['😀'.repeat(40), 'ß'.repeat(40)] })).status).toBe(201);
    expect((await create({ name: 'emoji-too-long', words: ['😀'.repeat(41)] })).status).toBe(400);
    // The docs ask for lowercase words; the API takes capitals as they are.
    const upper = await create({ name: 'upper', words: ['Fudge'] });
    expect([upper.status, upper.body.blocklist?.words]).toEqual([201, ['Fudge']]);
    expect((await create({ name: 'bad-regex', type: 'regex', words: ['(unclosed'] })).status).toBe(400);
    expect((await create({ name: 'regex', type: 'regex', words: ['\\bD\\d{3}\\b'] })).status).toBe(201);
    expect((await create({ name: 'bad-type', type: 'phrase', words: ['a'] }, { skipRequestValidation: true })).status).toBe(400);
    const noWords = await create({ name: 'no-words' }, { skipRequestValidation: true });
    expect(noWords.body.exception_fields).toEqual({ words: 'words is a required field' });
  });

  it('updates only the fields sent', async () => {
    await create({ name: 'partial', words: ['one'], is_plural_check_enabled: true });
    const r = await env.api.call({ method: 'PUT', path: '/api/v2/blocklists/partial', body: { is_leet_check_enabled: true } });
    expect(r.status).toBe(201);
    expect(r.body.blocklist).toMatchObject({ words: ['one'], is_plural_check_enabled: true, is_leet_check_enabled: true });
    const words2 = await env.api.call({ method: 'PUT', path: '/api/v2/blocklists/partial', body: { words: ['two'] } });
    expect(words2.body.blocklist).toMatchObject({ words: ['two'], is_plural_check_enabled: true, is_leet_check_enabled: true });
  });

  it('answers 404/16 for a list after it is deleted', async () => {
    await create({ name: 'gone', words: ['a'] });
    expect((await env.api.call({ method: 'DELETE', path: '/api/v2/blocklists/gone' })).status).toBe(200);
    const r = await get('gone');
    expect([r.status, r.body.code]).toEqual([404, 16]);
    expect((await env.api.call({ method: 'PUT', path: '/api/v2/blocklists/gone', body: { words: ['a'] } })).status).toBe(404);
  });

  it('imports words through a task, skipping words already present', async () => {
    const list = (await create({ name: 'imported', words: ['a', 'b'] })).body.blocklist;
    const r = await env.api.call({ method: 'POST', path: `/api/v2/blocklists/${list.id}/import`, body: { items: ['b', 'c', 'd'], chunk_size: 2 } });
    expect(r.status).toBe(201);
    const task = await env.api.call({ method: 'GET', path: `/api/v2/tasks/${r.body.task_id}` });
    expect(task.body).toMatchObject({ status: 'completed', result: { added: 2, skipped: 1, total: 4 } });
    expect((await get('imported')).body.blocklist.words).toEqual(['a', 'b', 'c', 'd']);
    const bad = await env.api.call({ method: 'POST', path: `/api/v2/blocklists/${list.id}/import`, body: { items: [] } }, { skipRequestValidation: true });
    expect(bad.status).toBe(400);
  });

  it('rejects a malformed cursor', async () => {
    const r = await env.api.call({ method: 'GET', path: '/api/v2/blocklists', query: { cursor: 'not-a-cursor' } });
    expect([r.status, r.body.code]).toEqual([400, 4]);
  });
});

describe('block list quota', () => {
  const env = useEmulator();

  it('allows 15 lists in total, the built-in included, and refuses the 16th', async () => {
    for (let i = 1; i <= 14; i++) {
      const r = await env.api.call({ method: 'POST', path: '/api/v2/blocklists', body: { name: `list-${i}`, words: ['a'] } });
      expect(r.status).toBe(201);
    }
    const over = await env.api.call({ method: 'POST', path: '/api/v2/blocklists', body: { name: 'list-15', words: ['a'] } });
    expect([over.status, over.body.code]).toEqual([400, 4]);
    await env.api.call({ method: 'DELETE', path: '/api/v2/blocklists/list-1' });
    expect((await env.api.call({ method: 'POST', path: '/api/v2/blocklists', body: { name: 'list-15', words: ['a'] } })).status).toBe(201);
  });
});

describe('block list paging', () => {
  const env = useEmulator({ quotas: { blocklists: 300 } });

  it('pages through more than 200 lists with small limits, each list exactly once', async () => {
    for (let i = 0; i < 230; i++) {
      await env.api.call({ method: 'POST', path: '/api/v2/blocklists', body: { name: `page-${String(i).padStart(3, '0')}`, words: ['a'] } });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await env.api.call({ method: 'GET', path: '/api/v2/blocklists', query: { limit: 17, cursor } });
      expect(r.status).toBe(200);
      expect(r.body.blocklists.length).toBeLessThanOrEqual(17);
      seen.push(...r.body.blocklists.map((b: { name: string }) => b.name));
      cursor = r.body.next_cursor;
      pages += 1;
      // A deletion between pages must not shift the cursor's position.
      if (pages === 3) await env.api.call({ method: 'DELETE', path: '/api/v2/blocklists/page-000' });
    } while (cursor);
    expect(seen.length).toBe(231);
    expect(new Set(seen).size).toBe(231);
    expect(seen).toContain('profanity_en_2020_v1');
    expect(pages).toBe(Math.ceil(231 / 17));
  });

  it('answers at most 200 lists per page and refuses a larger limit', async () => {
    const r = await env.api.call({ method: 'GET', path: '/api/v2/blocklists', query: { limit: 200 } });
    expect(r.body.blocklists).toHaveLength(200);
    expect(r.body.next_cursor).toBeTypeOf('string');
    expect((await env.api.call({ method: 'GET', path: '/api/v2/blocklists', query: { limit: 201 } })).status).toBe(400);
  });
});

describe('block list import timing', () => {
  let clock = Date.parse('2025-01-01T00:00:00Z');
  const env = useEmulator({ taskStepMs: 1000, now: () => clock });

  it('applies an import only when its task completes', async () => {
    const list = (await env.api.call({ method: 'POST', path: '/api/v2/blocklists', body: { name: 'later', words: ['a'] } })).body.blocklist;
    const r = await env.api.call({ method: 'POST', path: `/api/v2/blocklists/${list.id}/import`, body: { items: ['b'] } });
    expect((await env.api.call({ method: 'GET', path: '/api/v2/blocklists/later' })).body.blocklist.words).toEqual(['a']);
    clock += 2000;
    expect((await env.api.call({ method: 'GET', path: `/api/v2/tasks/${r.body.task_id}` })).body.status).toBe('completed');
    expect((await env.api.call({ method: 'GET', path: '/api/v2/blocklists/later' })).body.blocklist.words).toEqual(['a', 'b']);
  });
});
