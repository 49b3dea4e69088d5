import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/server.js';
import { TestApi } from '../support/api.js';
import { useEmulator } from '../support/emulator.js';
import { loadSpec } from '../support/spec.js';

const CONFIG = '/api/v2/moderation/config';
const CONFIGS = '/api/v2/moderation/configs';
const RULE = '/api/v2/moderation/moderation_rule';
const RULES = '/api/v2/moderation/moderation_rules';

/** An emulator for the suite, with a client that validates against the moderation spec (when it is present). */
function useModerationEmulator(options: Parameters<typeof useEmulator>[0] = {}) {
  const env = useEmulator(options);
  const moderation = {} as { api: TestApi };
  beforeAll(() => {
    moderation.api = new TestApi(env.emu, loadSpec('moderation'));
  });
  return moderation;
}

const failed = (op: string, detail: string) => `${op} failed with error: "${detail}"`;

describe('moderation configs', () => {
  const env = useModerationEmulator();

  it('refuses a block-list rule naming no block list, and finds lists of the rule\'s or the config\'s team', async () => {
    const refused = await env.api.call({ method: 'POST', path: CONFIG, body: { key: 'k', block_list_config: { rules: [{ name: 'profanity_en_2020_v1', action: 'flag' }, { name: 'nope', action: 'flag' }] } } });
    expect([refused.status, refused.body.code, refused.body.message]).toEqual([400, 4, failed('upsert_config', 'block_list_config.rules[1].name: block list "nope" does not exist')]);
    expect(refused.body.exception_fields).toEqual({ 'block_list_config.rules[1].name': 'block list "nope" does not exist' });

    await env.api.call({ method: 'POST', path: '/api/v2/blocklists', body: { name: 'team-words', words: ['x'], team: 'blue' } });
    const byRule = await env.api.call({ method: 'POST', path: CONFIG, body: { key: 'k', block_list_config: { rules: [{ name: 'team-words', team: 'blue', action: 'flag' }] } } });
    expect(byRule.status).toBe(201);
    const byConfig = await env.api.call({ method: 'POST', path: CONFIG, body: { key: 'k', team: 'blue', block_list_config: { rules: [{ name: 'team-words', action: 'flag' }] } } });
    expect(byConfig.status).toBe(201);
    const elsewhere = await env.api.call({ method: 'POST', path: CONFIG, body: { key: 'k', team: 'red', block_list_config: { rules: [{ name: 'team-words', action: 'flag' }] } } });
    expect(elsewhere.status).toBe(400);
  });

  it('holds requests to the spec\'s required fields and enums', async () => {
    const bad = async (body: unknown) => env.api.call({ method: 'POST', path: CONFIG, body }, { skipRequestValidation: true });
    const noKey = await bad({ async: true });
    expect([noKey.status, noKey.body.message]).toEqual([400, failed('upsert_config', 'key is a required field')]);
    const action = await bad({ key: 'k', block_list_config: { rules: [{ name: 'profanity_en_2020_v1', action: 'explode' }] } });
    expect([action.status, action.body.code]).toEqual([400, 4]);
    expect(action.body.message).toContain('block_list_config.rules.0.action must be one of [flag mask mask_flag shadow remove bounce bounce_flag bounce_remove]');
    expect((await bad({ key: 'k', automod_toxicity_config: { rules: [{ label: 'x', action: 'flag', threshold: 2 }] } })).status).toBe(400);
    expect((await bad({ key: 'k', ai_image_config: { rules: [{ label: 'x', action: 'flag' }] } })).status).toBe(400);
    expect((await bad({ key: 'k', velocity_filter_config: { rules: [{ action: 'mask' }] } })).status).toBe(400);
    expect((await bad({ key: 'k', rule_builder_config: { rules: [{ action: { type: 'ban_user' } }] } })).status).toBe(400);
  });

  it('answers 404 for a missing config, and again after a delete', async () => {
    const missing = await env.api.call({ method: 'GET', path: `${CONFIG}/none` });
    expect([missing.status, missing.body.code, missing.body.message]).toEqual([404, 16, failed('get_config', 'moderation config "none" does not exist')]);
    await env.api.call({ method: 'POST', path: CONFIG, body: { key: 'short-lived', team: 't' } });
    expect((await env.api.call({ method: 'DELETE', path: `${CONFIG}/short-lived` })).status).toBe(404);
    expect((await env.api.call({ method: 'DELETE', path: `${CONFIG}/short-lived`, query: { team: 't' } })).status).toBe(200);
    expect((await env.api.call({ method: 'GET', path: `${CONFIG}/short-lived`, query: { team: 't' } })).status).toBe(404);
  });

  it('keeps rule-builder and AI sections as written, and fills the audio section', async () => {
    const body = {
      key: 'chat:livestream',
      rule_builder_config: { rules: [{ id: 'r1', rule_type: 'content', logic: 'OR', conditions: [{ type: 'text_rule', text_rule_params: { threshold: 2, time_window: '1h' } }], action: { type: 'flag_content' } }] },
      ai_audio_config: { profile: 'strict' },
      ai_video_config: { enabled: true, rules: [{ label: 'Explicit', action: 'remove', min_confidence: 80 }] },
      flood_config: { allowlist: ['hi'], similar: { enabled: true, similarity_distance: 3, threshold: 4, time_window: '30s', action: 'flag' } },
      video_call_rule_config: { flag_all_labels: true, rules: [{ harm_types: ['explicit'], severity: 2, action_sequences: [{ action: 'warn', warning: true, warning_text: 'Careful' }] }] },
    };
    const { body: created } = await env.api.call({ method: 'POST', path: CONFIG, body });
    const { ai_audio_config, ...rest } = body;
    expect(created.config).toMatchObject({ ...rest, ai_audio_config: { enabled: true, profile: 'strict', rules: [] }, team: '', async: false });
    expect((await env.api.call({ method: 'GET', path: `${CONFIG}/chat:livestream` })).body.config).toEqual(created.config);
  });
});

describe('moderation rules', () => {
  const env = useModerationEmulator();

  it('requires name and a known rule_type, and the spec\'s logic, cooldown and action types', async () => {
    const bad = async (body: unknown) => env.api.call({ method: 'POST', path: RULE, body }, { skipRequestValidation: true });
    const none = await bad({});
    expect([none.status, none.body.message]).toEqual([400, failed('upsert_moderation_rule', 'name is a required field, rule_type is a required field')]);
    expect((await bad({ name: 'r', rule_type: 'channel' })).body.message).toContain('rule_type must be one of [user content call flood]');
    expect((await bad({ name: 'r', rule_type: 'user', logic: 'XOR' })).status).toBe(400);
    expect((await bad({ name: 'r', rule_type: 'user', cooldown_period: 'soon' })).status).toBe(400);
    expect((await bad({ name: 'r', rule_type: 'user', action: { type: 'nuke' } })).status).toBe(400);
  });

  it('refuses config_keys naming no config of the rule\'s team, and deleting a config a rule names', async () => {
    const unknown = await env.api.call({ method: 'POST', path: RULE, body: { name: 'r', rule_type: 'user', config_keys: ['nope'] } });
    expect([unknown.status, unknown.body.code, unknown.body.message]).toEqual([400, 4, failed('upsert_moderation_rule', 'config_keys: moderation config "nope" does not exist')]);
    await env.api.call({ method: 'POST', path: CONFIG, body: { key: 'used', team: 'blue' } });
    expect((await env.api.call({ method: 'POST', path: RULE, body: { name: 'r', rule_type: 'user', config_keys: ['used'] } })).status).toBe(400);
    const { body } = await env.api.call({ method: 'POST', path: RULE, body: { name: 'r', rule_type: 'user', team: 'blue', config_keys: ['used', 'used'] } });
    expect(body.rule.config_keys).toEqual(['used']);
    const inUse = await env.api.call({ method: 'DELETE', path: `${CONFIG}/used`, query: { team: 'blue' } });
    expect([inUse.status, inUse.body.message]).toEqual([400, failed('delete_config', 'moderation config "used" is used by moderation rule(s) "r": remove it from their config_keys first')]);
    await env.api.call({ method: 'POST', path: RULE, body: { name: 'r', rule_type: 'user', team: 'blue' } });
    expect((await env.api.call({ method: 'DELETE', path: `${CONFIG}/used`, query: { team: 'blue' } })).status).toBe(200);
  });

  it('identifies a rule by name within its team', async () => {
    const a = (await env.api.call({ method: 'POST', path: RULE, body: { name: 'same', rule_type: 'flood' } })).body.rule;
    const b = (await env.api.call({ method: 'POST', path: RULE, body: { name: 'same', rule_type: 'flood', team: 'green' } })).body.rule;
    expect(a.id).not.toBe(b.id);
    const a2 = (await env.api.call({ method: 'POST', path: RULE, body: { name: 'same', rule_type: 'call', action_sequences: [{ violation_number: 1, actions: ['call_warning'] }] } })).body.rule;
    expect(a2).toMatchObject({ id: a.id, created_at: a.created_at, rule_type: 'call', team: '' });
    const missing = await env.api.call({ method: 'GET', path: `${RULE}/nope` });
    expect([missing.status, missing.body.code, missing.body.message]).toEqual([404, 16, failed('get_moderation_rule', 'moderation rule "nope" does not exist')]);
  });
});

describe('moderation queries', () => {
  const env = useModerationEmulator();
  beforeAll(async () => {
    for (const key of ['q:a', 'q:b', 'q:c']) await env.api.call({ method: 'POST', path: CONFIG, body: { key } });
    await env.api.call({ method: 'POST', path: CONFIG, body: { key: 'q:a', team: 'blue' } });
    await env.api.call({ method: 'POST', path: RULE, body: { name: 'r1', rule_type: 'user', config_keys: ['q:a', 'q:b'] } });
    await env.api.call({ method: 'POST', path: RULE, body: { name: 'r2', rule_type: 'content', config_keys: ['q:c'], enabled: false } });
    await env.api.call({ method: 'POST', path: RULE, body: { name: 'r3', rule_type: 'flood', description: 'global' } });
  });
  const configs = async (body: unknown) => (await env.api.call({ method: 'POST', path: CONFIGS, body })).body;
  const rules = async (body: unknown) => (await env.api.call({ method: 'POST', path: RULES, body })).body;
  const keys = (b: { configs: { key: string; team: string }[] }) => b.configs.map((c) => `${c.team}/${c.key}`);
  const names = (b: { rules: { name: string }[] }) => b.rules.map((r) => r.name);

  it('filters configs on key and team with $eq and $in, and answers every config for an empty filter', async () => {
    const sort = [{ field: 'key', direction: 1 }, { field: 'team', direction: 1 }];
    expect(keys(await configs({ filter: {}, sort }))).toEqual(['/q:a', 'blue/q:a', '/q:b', '/q:c']);
    expect(keys(await configs({ sort }))).toHaveLength(4);
    expect(keys(await configs({ filter: { key: 'q:a' }, sort }))).toEqual(['/q:a', 'blue/q:a']);
    expect(keys(await configs({ filter: { key: { $in: ['q:b', 'q:c'] }, team: { $eq: '' } }, sort }))).toEqual(['/q:b', '/q:c']);
    expect(keys(await configs({ filter: { $or: [{ team: 'blue' }, { key: 'q:c' }] }, sort }))).toEqual(['blue/q:a', '/q:c']);
    expect(keys(await configs({ filter: { key: { $autocomplete: 'q:' } }, sort: [{ field: 'key', direction: -1 }], limit: 1 }))).toEqual(['/q:c']);
  });

  it('filters rules on name, team, enabled, config_keys and is_global', async () => {
    const sort = [{ field: 'name', direction: 1 }];
    expect(names(await rules({ sort }))).toEqual(['r1', 'r2', 'r3']);
    expect(names(await rules({ filter: { enabled: true }, sort }))).toEqual(['r1', 'r3']);
    expect(names(await rules({ filter: { name: { $in: ['r2', 'r3'] } }, sort }))).toEqual(['r2', 'r3']);
    expect(names(await rules({ filter: { config_keys: { $in: ['q:b', 'q:c'] } }, sort }))).toEqual(['r1', 'r2']);
    expect(names(await rules({ filter: { config_keys: ['q:a', 'q:b'] }, sort }))).toEqual(['r1']);
    expect(names(await rules({ filter: { is_global: true }, sort }))).toEqual(['r3']);
    expect(names(await rules({ filter: { team: '' , description: 'global' }, sort }))).toEqual(['r3']);
  });

  it('refuses unknown filter fields and operators, unknown sort fields, bad cursors and limits over 100', async () => {
    const bad = async (path: string, body: unknown) => env.api.call({ method: 'POST', path, body }, { skipRequestValidation: true });
    const unknown = await bad(RULES, { filter: { rule_type: 'user' } });
    expect([unknown.status, unknown.body.code, unknown.body.message]).toEqual([400, 4, failed('query_moderation_rules', 'field rule_type is not a valid filter field')]);
    expect((await bad(CONFIGS, { filter: { name: 'x' } })).status).toBe(400);
    expect((await bad(RULES, { filter: { config_keys: { $gt: 'a' } } })).status).toBe(400);
    expect((await bad(CONFIGS, { sort: [{ field: 'async' }] })).status).toBe(400);
    expect((await bad(CONFIGS, { next: 'garbage' })).status).toBe(400);
    const limit = await bad(RULES, { limit: 101 });
    expect([limit.status, limit.body.message]).toEqual([400, failed('query_moderation_rules', 'limit must be 100 or less')]);
  });

  it('pages with next and prev, 10 to a page by default', async () => {
    for (let i = 0; i < 12; i++) await env.api.call({ method: 'POST', path: CONFIG, body: { key: `many:${String(i).padStart(2, '0')}` } });
    const filter = { key: { $autocomplete: 'many' } };
    const sort = [{ field: 'key', direction: 1 }];
    const first = await configs({ filter, sort });
    expect(first.configs).toHaveLength(10);
    expect(first.prev).toBeUndefined();
    const second = await configs({ filter, sort, next: first.next });
    expect(second.configs.map((c: { key: string }) => c.key)).toEqual(['many:10', 'many:11']);
    expect(second.next).toBeUndefined();
    expect((await configs({ filter, sort, prev: second.prev })).configs).toEqual(first.configs);
    const { rules: _r, duration: _d, next: _n, ...labels } = await rules({ limit: 1 });
    expect(Object.keys(labels).sort()).toEqual(['ai_image_label_definitions', 'ai_image_subclassifications', 'closed_caption_labels', 'default_llm_labels', 'default_username_llm_labels', 'keyframe_label_classifications', 'keyframe_labels', 'ocr_labels']);
  });
});

describe('moderation operations and rate limits', () => {
  const env = useModerationEmulator({ rateLimits: { defaultPerMinute: 60, perSecond: false } });
  const OPS = ['upsert_config', 'get_config', 'delete_config', 'query_moderation_configs', 'upsert_moderation_rule', 'get_moderation_rule', 'delete_moderation_rule', 'query_moderation_rules'];

  it('lists the moderation operations in GetRateLimits after chat\'s and before video\'s, and counts their calls', async () => {
    const limits = (await env.api.call({ method: 'GET', path: '/api/v2/rate_limits', query: { server_side: true } })).body.server_side;
    for (const op of OPS) expect(limits[op]).toMatchObject({ limit: 60, remaining: 60 });
    const order = Object.keys(limits);
    expect(order.slice(order.indexOf('DeleteCommand') + 1, order.indexOf('ListCallTypes'))).toEqual(OPS);
    const first = await env.api.call({ method: 'POST', path: CONFIGS, body: {} });
    expect(first.headers.get('x-ratelimit-remaining')).toBe('59');
    for (let i = 0; i < 59; i++) await env.api.call({ method: 'POST', path: CONFIGS, body: {} });
    const limited = await env.api.call({ method: 'POST', path: CONFIGS, body: {} });
    expect([limited.status, limited.body.code]).toEqual([429, 9]);
  });
});

describe('moderation persistence with --data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stream-emu-moderation-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  const boot = async (dataFile: string) => {
    const emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, now: () => T0, dataFile, apps: [{ key: 'mod', secret: 'mod-secret' }] });
    return { emu, api: new TestApi(emu, loadSpec('moderation')) };
  };
  const withoutDuration = ({ duration: _d, ...rest }: Record<string, unknown>) => rest;

  it('reads configs and rules back the same after a restart', async () => {
    const file = join(dir, 'state.json');
    let { emu, api } = await boot(file);
    await api.call({ method: 'POST', path: CONFIG, body: { key: 'kept', block_list_config: { rules: [{ name: 'profanity_en_2020_v1', action: 'flag' }] } } });
    const rule = (await api.call({ method: 'POST', path: RULE, body: { name: 'kept', rule_type: 'user', config_keys: ['kept'] } })).body.rule;
    const readAll = async () => [
      withoutDuration((await api.call({ method: 'POST', path: CONFIGS, body: {} })).body),
      withoutDuration((await api.call({ method: 'GET', path: `${RULE}/${rule.id}` })).body),
    ];
    const before = await readAll();
    await emu.close();

    ({ emu, api } = await boot(file));
    expect(await readAll()).toEqual(before);
    await emu.close();
  });

  it('loads a data file written before moderation existed with no configs or rules', async () => {
    const file = join(dir, 'old.json');
    const { emu } = await boot(file);
    await emu.close();
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    for (const app of saved.apps) {
      delete app.moderationConfigs;
      delete app.moderationRules;
    }
    writeFileSync(file, JSON.stringify(saved));
    const again = await boot(file);
    expect((await again.api.call({ method: 'POST', path: CONFIGS, body: {} })).body.configs).toEqual([]);
    expect((await again.api.call({ method: 'POST', path: RULES, body: {} })).body.rules).toEqual([]);
    await again.emu.close();
  });
});
