import { expect } from 'vitest';
import type { TestApi } from '../support/api.js';
import type { ContractCases } from './types.js';

/** Contract cases for video call types and SIP trunks and inbound routing rules. */

const CALL_TYPES = '/api/v2/video/calltypes';
const TRUNKS = '/api/v2/video/sip/inbound_trunks';
const RULES = '/api/v2/video/sip/inbound_routing_rules';
const RESOLVE = '/api/v2/video/sip/resolve';

async function createCallType(api: TestApi, name: string) {
  const r = await api.call({ method: 'POST', path: CALL_TYPES, body: { name, grants: { user: ['join-call'] } } });
  expect(r.status).toBe(201);
  return r.body;
}

async function createTrunk(api: TestApi, name: string): Promise<string> {
  const r = await api.call({ method: 'POST', path: TRUNKS, body: { name, numbers: ['+15550100'], allowed_ips: ['203.0.113.0/24'] } });
  expect(r.status).toBe(201);
  return r.body.sip_trunk.id;
}

const ruleBody = (name: string, trunkId: string) => ({
  name,
  trunk_ids: [trunkId],
  caller_configs: { id: '{{ caller_number }}' },
  direct_routing_configs: { call_type: 'default', call_id: 'support' },
});

async function createRule(api: TestApi, name: string): Promise<string> {
  const r = await api.call({ method: 'POST', path: RULES, body: ruleBody(name, await createTrunk(api, `${name}-trunk`)) });
  expect(r.status).toBe(201);
  return r.body.id;
}

export const cases: ContractCases = {
  async ListCallTypes({ api }) {
    const ok = await api.call({ method: 'GET', path: CALL_TYPES });
    expect(ok.status).toBe(200);
    const unauthorized = await api.call({ method: 'GET', path: CALL_TYPES, token: 'not-a-jwt' });
    expect(unauthorized.status).toBe(401);
  },
  async CreateCallType({ api }) {
    await createCallType(api, 'contract-create');
    const dup = await api.call({ method: 'POST', path: CALL_TYPES, body: { name: 'contract-create' } });
    expect(dup.status).toBe(400);
  },
  async GetCallType({ api }) {
    const ok = await api.call({ method: 'GET', path: `${CALL_TYPES}/livestream` });
    expect(ok.status).toBe(200);
    const missing = await api.call({ method: 'GET', path: `${CALL_TYPES}/contract-missing` });
    expect(missing.status).toBe(404);
  },
  async UpdateCallType({ api }) {
    await createCallType(api, 'contract-update');
    const ok = await api.call({
      method: 'PUT',
      path: `${CALL_TYPES}/contract-update`,
      body: { settings: { recording: { mode: 'auto-on', quality: '1080p' }, ring: { incoming_call_timeout_ms: 20_000, auto_cancel_timeout_ms: 20_000 } }, notification_settings: { call_ring: { enabled: false } } },
    });
    expect(ok.status).toBe(201);
    const badRole = await api.call({ method: 'PUT', path: `${CALL_TYPES}/contract-update`, body: { grants: { no_such_role: ['join-call'] } } });
    expect(badRole.status).toBe(400);
  },
  async DeleteCallType({ api }) {
    await createCallType(api, 'contract-delete');
    const ok = await api.call({ method: 'DELETE', path: `${CALL_TYPES}/contract-delete` });
    expect(ok.status).toBe(200);
    const builtin = await api.call({ method: 'DELETE', path: `${CALL_TYPES}/default` });
    expect(builtin.status).toBe(400);
  },

  async ListSIPTrunks({ api }) {
    await createTrunk(api, 'contract-list');
    const ok = await api.call({ method: 'GET', path: TRUNKS });
    expect(ok.status).toBe(200);
    const unauthorized = await api.call({ method: 'GET', path: TRUNKS, token: 'not-a-jwt' });
    expect(unauthorized.status).toBe(401);
  },
  async CreateSIPTrunk({ api }) {
    await createTrunk(api, 'contract-create');
    const noNumbers = await api.call({ method: 'POST', path: TRUNKS, body: { name: 'contract-bad', numbers: [] } }, { skipRequestValidation: true });
    expect(noNumbers.status).toBe(400);
  },
  async UpdateSIPTrunk({ api }) {
    const id = await createTrunk(api, 'contract-update');
    const ok = await api.call({ method: 'PUT', path: `${TRUNKS}/${id}`, body: { name: 'contract-updated', numbers: ['+15550101'], password: 'n3w-secret' } });
    expect(ok.status).toBe(201);
    const missing = await api.call({ method: 'PUT', path: `${TRUNKS}/contract-missing`, body: { name: 'x', numbers: ['+15550102'] } });
    expect(missing.status).toBe(404);
  },
  async DeleteSIPTrunk({ api }) {
    const id = await createTrunk(api, 'contract-delete');
    const ok = await api.call({ method: 'DELETE', path: `${TRUNKS}/${id}` });
    expect(ok.status).toBe(200);
    const again = await api.call({ method: 'DELETE', path: `${TRUNKS}/${id}` });
    expect(again.status).toBe(404);
  },

  async ListSIPInboundRoutingRule({ api }) {
    await createRule(api, 'contract-list');
    const ok = await api.call({ method: 'GET', path: RULES });
    expect(ok.status).toBe(200);
    const unauthorized = await api.call({ method: 'GET', path: RULES, token: 'not-a-jwt' });
    expect(unauthorized.status).toBe(401);
  },
  async CreateSIPInboundRoutingRule({ api }) {
    await createRule(api, 'contract-create');
    const unknownTrunk = await api.call({ method: 'POST', path: RULES, body: ruleBody('contract-bad', 'no-such-trunk') });
    expect(unknownTrunk.status).toBe(400);
  },
  async UpdateSIPInboundRoutingRule({ api }) {
    const id = await createRule(api, 'contract-update');
    const rule = (await api.call({ method: 'GET', path: RULES })).body.sip_inbound_routing_rules.find((r: { id: string }) => r.id === id);
    const ok = await api.call({
      method: 'PUT',
      path: `${RULES}/${id}`,
      body: { name: 'contract-updated', trunk_ids: rule.trunk_ids, caller_configs: { id: 'caller' }, pin_routing_configs: { pin_prompt: 'Enter your PIN' }, pin_protection_configs: { enabled: true, required_pin_digits: 4 } },
    });
    expect(ok.status).toBe(201);
    const missing = await api.call({ method: 'PUT', path: `${RULES}/contract-missing`, body: ruleBody('x', rule.trunk_ids[0]) });
    expect(missing.status).toBe(404);
  },
  async DeleteSIPInboundRoutingRule({ api }) {
    const id = await createRule(api, 'contract-delete');
    const ok = await api.call({ method: 'DELETE', path: `${RULES}/${id}` });
    expect(ok.status).toBe(200);
    const again = await api.call({ method: 'DELETE', path: `${RULES}/${id}` });
    expect(again.status).toBe(404);
  },
  async ResolveSipInbound({ api }) {
    // A number of its own: other cases' trunks share +15550100, and the first trunk with a number wins.
    const trunk = await api.call({ method: 'POST', path: TRUNKS, body: { name: 'contract-resolve', numbers: ['+15550500'] } });
    const rule = await api.call({
      method: 'POST',
      path: RULES,
      body: { ...ruleBody('contract-resolve', trunk.body.sip_trunk.id), caller_configs: { id: 'caller-{{ caller_number }}', custom_data: { from: '{{ caller_number }}' } }, call_configs: { custom_data: { line: 'support' } } },
    });
    expect(rule.status).toBe(201);
    const ok = await api.call({ method: 'POST', path: RESOLVE, body: { sip_trunk_number: '+15550500', sip_caller_number: '+15550199', sip_headers: { 'X-Tenant': 'acme' } } });
    expect(ok.status).toBe(201);
    const pin = await api.call({ method: 'PUT', path: `${RULES}/${rule.body.id}`, body: { name: 'contract-resolve', trunk_ids: [trunk.body.sip_trunk.id], caller_configs: { id: 'c' }, pin_routing_configs: { pin_prompt: 'PIN?' } } });
    expect(pin.status).toBe(201);
    const pinOk = await api.call({ method: 'POST', path: RESOLVE, body: { sip_trunk_number: '+15550500', sip_caller_number: '+15550199' } });
    expect([pinOk.status, pinOk.body.credentials.call_id]).toEqual([201, '']);
    const noTrunk = await api.call({ method: 'POST', path: RESOLVE, body: { sip_trunk_number: '+15559999', sip_caller_number: '+15550199' } });
    expect(noTrunk.status).toBe(400);
  },
};
