import { describe, expect, it } from 'vitest';
import { expectRejected, expectValidRequests, plannedRequests } from '../../../test/support/kinds.js';
import { loadSpec } from '../../../test/support/spec.js';
import type { Rec } from '../../core/model.js';
import { CONFIG_FIELDS, moderationConfigSchema, SECTION_KEYS } from './config-schema.js';
import { moderationConfigKind, moderationConfigLive } from './configs.js';
import { moderationRuleKind, moderationRuleLive, moderationRuleSchema } from './rules.js';

/** A ConfigResponse as the API answers it, trimmed (read-only keys included, as the answer has them). */
const LIVE: Rec = {
  key: 'chat:messaging',
  team: '',
  async: false,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  supported_video_call_harm_types: ['nudity'],
  automod_toxicity_config: { enabled: true, async: false, rules: [{ label: 'toxic', threshold: 0.7, action: 'flag' }, { label: 'threat', threshold: 0.5, action: 'remove' }] },
  ai_text_config: { enabled: true, rules: [{ label: 'SPAM', action: 'flag', severity_rules: [{ severity: 'high', action: 'remove' }] }] },
  flood_config: { identical: { enabled: true, threshold: 3 } },
};

describe('moderation config schema', () => {
  it.each([
    ['a label twice in one rule list', { key: 'k', automod_toxicity_config: { rules: [{ label: 'toxic', threshold: 0.5, action: 'flag' }, { label: 'toxic', threshold: 0.9, action: 'remove' }] } }, /two rules for label "toxic"/],
    ['a threshold above 1', { key: 'k', automod_toxicity_config: { rules: [{ label: 'toxic', threshold: 7, action: 'flag' }] } }, /threshold/],
    ['an action the API does not have', { key: 'k', block_list_config: { rules: [{ name: 'words', action: 'explode' }] } }, /action/],
    ['an unknown section', { key: 'k', ai_txt_config: {} }, /ai_txt_config/],
  ])('rejects %s', (_name, value, message) => expectRejected(moderationConfigSchema, value, message));
});

describe('moderation config requests', () => {
  const plan = (fields: Rec, live?: Rec) => plannedRequests(moderationConfigKind, moderationConfigLive, fields, live);

  it('reads only what UpsertConfig takes: no timestamps, no read-only keys, no empty team', () => {
    const live = moderationConfigLive(LIVE);
    expect(Object.keys(live.fields).sort()).toEqual(['ai_text_config', 'async', 'automod_toxicity_config', 'flood_config', 'key']);
  });

  it('plans nothing when the declared rules match, in any order, whatever sections the app has beyond them', () => {
    expect(plan({ key: 'chat:messaging', automod_toxicity_config: { rules: [{ label: 'threat', threshold: 0.5, action: 'remove' }, { label: 'toxic', threshold: 0.7, action: 'flag' }] }, ai_text_config: { rules: [{ label: 'SPAM', action: 'flag', severity_rules: [{ severity: 'high', action: 'remove' }] }] } }, LIVE)).toEqual([]);
  });

  it('upserts the whole config: the file\'s rules as declared, the undeclared sections kept, valid for the spec', () => {
    const reqs = plan({ key: 'chat:messaging', ai_text_config: { rules: [{ label: 'SPAM', action: 'remove' }] } }, LIVE);
    expect(reqs).toHaveLength(1);
    expect(reqs[0]).toMatchObject({ op: 'upsert_config', method: 'POST', path: '/api/v2/moderation/config' });
    expect(reqs[0]!.body).toEqual({
      key: 'chat:messaging',
      async: false,
      automod_toxicity_config: LIVE.automod_toxicity_config,
      // A label's action replaces its severity rules: the plan shows them going.
      ai_text_config: { enabled: true, rules: [{ label: 'SPAM', action: 'remove' }] },
      flood_config: { identical: { enabled: true, threshold: 3 } },
    });
    expectValidRequests(reqs);
  });

  it('writes rule lists as the file declares them, sections over the app\'s', () => {
    const live = { key: 'k', automod_toxicity_config: { enabled: true, rules: [{ label: 'a', threshold: 0.1, action: 'flag' }, { label: 'b', threshold: 0.2, action: 'flag' }] } };
    const reqs = plan({ key: 'k', automod_toxicity_config: { rules: [{ label: 'b', threshold: 0.3, action: 'flag' }] } }, live);
    expect(reqs[0]!.body).toEqual({ key: 'k', automod_toxicity_config: { enabled: true, rules: [{ label: 'b', threshold: 0.3, action: 'flag' }] } });
  });

  it('deletes by key (and team), and names the block lists its rules use', () => {
    const live = moderationConfigLive({ ...LIVE, team: 'blue' });
    expect(moderationConfigKind.requests({ action: 'delete', address: live.address, live, fields: [] })).toEqual([{ op: 'delete_config', method: 'DELETE', path: '/api/v2/moderation/config/{key}', params: { key: 'chat:messaging' }, query: { team: 'blue' }, idempotent: true }]);
    expect(moderationConfigKind.refs!({ key: 'k', block_list_config: { rules: [{ name: 'a', action: 'flag' }, { name: 'b', action: 'remove' }] } })).toEqual(['blocklist/a', 'blocklist/b']);
  });
});

describe('moderation rule', () => {
  const RULE: Rec = { id: 'r-1', name: 'escalate', rule_type: 'user', description: '', enabled: true, team: '', config_keys: ['chat:messaging'], action: { type: 'flag_user', reason: 'x' }, created_at: 'now', updated_at: 'now' };
  const plan = (fields: Rec, live?: Rec) => plannedRequests(moderationRuleKind, moderationRuleLive, fields, live);

  it('refuses what the API does not take', () => {
    expectRejected(moderationRuleSchema, { name: 'r', rule_type: 'message' }, /rule_type/);
    expectRejected(moderationRuleSchema, { name: 'r', rule_type: 'user', cooldown_period: 'a day' }, /cooldown_period/);
    expectRejected(moderationRuleSchema, { name: 'r', rule_type: 'user', action: { type: 'explode' } }, /action.type/);
  });

  it('upserts the file\'s fields over the app\'s, each whole (never its id), and deletes by the id the app gave it', () => {
    const reqs = plan({ name: 'escalate', rule_type: 'user', action: { type: 'ban_user' } }, RULE);
    // The action is replaced whole: a new type does not keep the old one's reason or options.
    expect(reqs[0]!.body).toEqual({ name: 'escalate', rule_type: 'user', description: '', enabled: true, config_keys: ['chat:messaging'], conditions: [], groups: [], action: { type: 'ban_user' } });
    expectValidRequests(reqs);
    const live = moderationRuleLive(RULE);
    expect(moderationRuleKind.requests({ action: 'delete', address: live.address, live, fields: [] })).toEqual([{ op: 'delete_moderation_rule', method: 'DELETE', path: '/api/v2/moderation/moderation_rule/{id}', params: { id: 'r-1' }, idempotent: true }]);
    expect(moderationRuleKind.toFile!(live, [])).not.toHaveProperty('id');
  });
});

describe('moderation schemas against the moderation spec', () => {
  const spec = loadSpec('moderation');
  const props = (name: string) => Object.keys((spec!.raw.components.schemas[name] as { properties: Rec }).properties);
  it.skipIf(!spec)('declare exactly what UpsertConfig and UpsertModerationRule take (less the acting user)', () => {
    const acting = ['user', 'user_id'];
    expect([...CONFIG_FIELDS].sort()).toEqual(props('UpsertConfigRequest').filter((p) => !acting.includes(p)).sort());
    expect(Object.keys(moderationRuleSchema.shape).sort()).toEqual(props('UpsertModerationRuleRequest').filter((p) => !acting.includes(p)).sort());
    // Each section's keys are the spec's (the request's referenced schema).
    const ref = (section: string) => String((spec!.raw.components.schemas.UpsertConfigRequest.properties[section] as Rec).$ref).split('/').pop()!;
    for (const [section, keys] of Object.entries(SECTION_KEYS)) expect([...keys].sort(), section).toEqual(props(ref(section)).sort());
  });
});
