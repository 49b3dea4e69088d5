import { expect } from 'vitest';
import type { TestApi } from '../support/api.js';
import type { ContractCases } from './types.js';

/** Contract cases for moderation configs and rules, validated against the moderation spec. */

const CONFIG = '/api/v2/moderation/config';
const RULE = '/api/v2/moderation/moderation_rule';

async function upsertConfig(api: TestApi, key: string) {
  const r = await api.call({
    method: 'POST',
    path: CONFIG,
    body: {
      key,
      block_list_config: { enabled: true, rules: [{ name: 'profanity_en_2020_v1', action: 'remove' }] },
      ai_text_config: { enabled: true, rules: [{ label: 'SCAM', action: 'flag' }], severity_rules: [{ severity: 'high', action: 'remove' }] },
      ai_audio_config: { profile: 'default', rules: [{ label: 'HATE', action: 'flag' }] },
      velocity_filter_config: { enabled: true, rules: [{ action: 'ban', ban_duration: 60, fast_spam_threshold: 5 }] },
      flood_config: { identical: { enabled: true, threshold: 3, time_window: '1m', action: 'flag' } },
      llm_config: { enabled: true, app_context: 'A support chat', rules: [{ label: 'SPAM', description: 'Unsolicited ads', action: 'flag' }] },
    },
  });
  expect(r.status).toBe(201);
  return r.body.config;
}

async function upsertRule(api: TestApi, name: string, configKeys: string[] = []) {
  const r = await api.call({
    method: 'POST',
    path: RULE,
    body: {
      name,
      rule_type: 'user',
      description: 'Ban repeat offenders',
      config_keys: configKeys,
      logic: 'AND',
      conditions: [{ type: 'user_flag_count', user_flag_count_rule_params: { threshold: 3 } }],
      action: { type: 'ban_user', ban_options: { duration: 60, reason: 'repeat offender' } },
      cooldown_period: '24h',
    },
  });
  expect(r.status).toBe(201);
  return r.body.rule;
}

export const cases: ContractCases = {
  async upsert_config({ api }) {
    await upsertConfig(api, 'contract:upsert');
    const missing = await api.call({ method: 'POST', path: CONFIG, body: { key: 'contract:bad', block_list_config: { rules: [{ name: 'no-such-list', action: 'flag' }] } } });
    expect(missing.status).toBe(400);
  },
  async get_config({ api }) {
    await upsertConfig(api, 'contract:get');
    const ok = await api.call({ method: 'GET', path: `${CONFIG}/contract:get` });
    expect(ok.status).toBe(200);
    const missing = await api.call({ method: 'GET', path: `${CONFIG}/contract:missing` });
    expect(missing.status).toBe(404);
  },
  async delete_config({ api }) {
    await upsertConfig(api, 'contract:delete');
    const ok = await api.call({ method: 'DELETE', path: `${CONFIG}/contract:delete` });
    expect(ok.status).toBe(200);
    const again = await api.call({ method: 'DELETE', path: `${CONFIG}/contract:delete` });
    expect(again.status).toBe(404);
  },
  async query_moderation_configs({ api }) {
    await upsertConfig(api, 'contract:query');
    const ok = await api.call({ method: 'POST', path: '/api/v2/moderation/configs', body: { filter: { key: { $in: ['contract:query'] } }, sort: [{ field: 'key', direction: 1 }], limit: 1 } });
    expect(ok.status).toBe(201);
    const bad = await api.call({ method: 'POST', path: '/api/v2/moderation/configs', body: { filter: { rule_type: 'user' } } });
    expect(bad.status).toBe(400);
  },
  async upsert_moderation_rule({ api }) {
    await upsertConfig(api, 'contract:rule');
    await upsertRule(api, 'contract-upsert', ['contract:rule']);
    const unknownConfig = await api.call({ method: 'POST', path: RULE, body: { name: 'contract-bad', rule_type: 'user', config_keys: ['contract:none'] } });
    expect(unknownConfig.status).toBe(400);
  },
  async get_moderation_rule({ api }) {
    const rule = await upsertRule(api, 'contract-get');
    const ok = await api.call({ method: 'GET', path: `${RULE}/${rule.id}` });
    expect(ok.status).toBe(200);
    const missing = await api.call({ method: 'GET', path: `${RULE}/no-such-rule` });
    expect(missing.status).toBe(404);
  },
  async delete_moderation_rule({ api }) {
    const rule = await upsertRule(api, 'contract-delete');
    const ok = await api.call({ method: 'DELETE', path: `${RULE}/${rule.id}` });
    expect(ok.status).toBe(200);
    const again = await api.call({ method: 'DELETE', path: `${RULE}/${rule.id}` });
    expect(again.status).toBe(404);
  },
  async query_moderation_rules({ api }) {
    await upsertRule(api, 'contract-query');
    const ok = await api.call({ method: 'POST', path: '/api/v2/moderation/moderation_rules', body: { filter: { name: 'contract-query', enabled: true }, limit: 10 } });
    expect(ok.status).toBe(201);
    const bad = await api.call({ method: 'POST', path: '/api/v2/moderation/moderation_rules', body: { filter: { colour: 'red' } } });
    expect(bad.status).toBe(400);
  },
};
