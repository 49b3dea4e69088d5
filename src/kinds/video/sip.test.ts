import { describe, expect, it } from 'vitest';
import { expectRejected, expectValidRequests, plannedRequests } from '../../../test/support/kinds.js';
import { batchErrors } from '../../../test/support/batcher.js';
import type { Api, ApiRequest } from '../../core/api.js';
import type { DesiredObject, DesiredState, Rec } from '../../core/model.js';
import type { PlannedChange } from '../../plan/plan.js';
import { sipRuleKind, sipRuleLive, sipRuleRequest, sipRuleSchema, sipTrunkKind, sipTrunkLive, sipTrunkSchema } from './sip.js';

const TRUNK: Rec = { id: 'trk-1', name: 'main', numbers: ['+15550100', '+15550101'], allowed_ips: ['203.0.113.0/24'], uri: 'sip:x@sip.example', username: 'u', password: 'echoed', created_at: 1, updated_at: 1 };
const RULE: Rec = { id: 'rule-1', name: 'support-line', trunk_ids: ['trk-1'], called_numbers: ['+15550100'], caller_configs: { id: '{{caller_number}}', custom_data: {} }, direct_routing_configs: { call_type: 'support', call_id: 'hotline' }, created_at: 1, updated_at: 1 };
const trunkNames = new Map([['trk-1', 'main']]);

describe('SIP trunks', () => {
  const plan = (fields: Rec, live?: Rec) => plannedRequests(sipTrunkKind, sipTrunkLive, fields, live);

  it('creates by name and updates by the id the API gave it, with the name and numbers the update requires', () => {
    const created = plan({ name: 'main', numbers: ['+15550100'], password: 's3cret-pass' });
    expect(created).toMatchObject([{ op: 'CreateSIPTrunk', body: { name: 'main', numbers: ['+15550100'], password: 's3cret-pass' } }]);
    const updated = plan({ name: 'main', numbers: ['+15550101', '+15550100'], allowed_ips: ['198.51.100.7'] }, TRUNK);
    expect(updated).toEqual([{ op: 'UpdateSIPTrunk', method: 'PUT', path: '/api/v2/video/sip/inbound_trunks/{id}', params: { id: 'trk-1' }, body: { name: 'main', numbers: ['+15550100', '+15550101'], allowed_ips: ['198.51.100.7'] }, idempotent: true }]);
    // The allowed IPs go with every update, in case the API replaces the trunk whole.
    expect(plan({ name: 'main', numbers: ['+15550100'] }, TRUNK)[0]!.body).toEqual({ name: 'main', numbers: ['+15550100'], allowed_ips: ['203.0.113.0/24'] });
    expectValidRequests([...created, ...updated]);
  });

  it('never reads the password back: it is compared by fingerprint, and the live shape leaves it out', () => {
    expect(sipTrunkLive(TRUNK).fields).toEqual({ name: 'main', numbers: ['+15550100', '+15550101'], allowed_ips: ['203.0.113.0/24'], id: 'trk-1' });
    expect(sipTrunkKind.secretFields).toContain('/password');
    expect(sipTrunkKind.toFile!(sipTrunkLive(TRUNK), [])).toEqual({ name: 'main', numbers: ['+15550100', '+15550101'], allowed_ips: ['203.0.113.0/24'] });
  });

  it.each([
    ['no numbers', { name: 'x' }, /numbers/],
    ['a number twice', { name: 'x', numbers: ['+1', '+1'] }, /numbers lists "\+1" twice/],
  ])('rejects %s', (_n, value, message) => expectRejected(sipTrunkSchema, value, message));
});

describe('SIP inbound routing rules', () => {
  it('reads trunk ids as trunk names, and names the trunks and the call type it routes into', () => {
    const live = sipRuleLive(RULE, trunkNames);
    expect(live.fields).toMatchObject({ name: 'support-line', trunks: ['main'], id: 'rule-1' });
    expect(sipRuleKind.refs!({ name: 'r', trunks: ['main'], direct_routing_configs: { call_type: 'support', call_id: 'x' } })).toEqual(['sip_trunk/main', 'call_type/support']);
  });

  it('writes the whole rule with the ids of the trunks it names, valid for the spec', () => {
    const desired = { kind: 'sip_inbound_routing_rule', address: 'sip_inbound_routing_rule/support-line', fields: { name: 'support-line', trunks: ['main'], caller_configs: { id: 'c' }, called_numbers: ['+15550101'] }, sensitive: [] };
    const create = sipRuleRequest({ action: 'create', desired }, new Map([['main', 'trk-9']]));
    expect(create.body).toEqual({ name: 'support-line', trunk_ids: ['trk-9'], caller_configs: { id: 'c' }, called_numbers: ['+15550101'] });
    const update = sipRuleRequest({ action: 'update', desired, live: sipRuleLive(RULE, trunkNames) }, new Map([['main', 'trk-1']]));
    expect(update).toMatchObject({ op: 'UpdateSIPInboundRoutingRule', params: { id: 'rule-1' } });
    expect(update.body).toMatchObject({ trunk_ids: ['trk-1'], called_numbers: ['+15550101'], direct_routing_configs: { call_type: 'support', call_id: 'hotline' } });
    expectValidRequests([create, update]);
  });

  it('switches a rule from direct to PIN routing without sending both (they are exclusive)', () => {
    const desired: DesiredObject = { kind: 'sip_inbound_routing_rule', address: 'sip_inbound_routing_rule/support-line', fields: { name: 'support-line', trunks: ['main'], caller_configs: { id: 'c' }, pin_routing_configs: { pin_prompt: 'Your PIN' } }, sensitive: [] };
    const update = sipRuleRequest({ action: 'update', desired, live: sipRuleLive(RULE, trunkNames) }, new Map([['main', 'trk-1']]));
    expect(update.body).toHaveProperty('pin_routing_configs', { pin_prompt: 'Your PIN' });
    expect(update.body).not.toHaveProperty('direct_routing_configs');
    expectValidRequests([update]);
  });

  it('refuses to plan when two trunks or two rules of the app share a name (which one a write reaches would be a guess)', async () => {
    const api: Api = { send: async <T>(req: ApiRequest) => (req.op === 'ListSIPTrunks' ? { sip_trunks: [TRUNK, { ...TRUNK, id: 'trk-2' }] } : { sip_inbound_routing_rules: [] }) as T };
    await expect(sipTrunkKind.fetch(api, [], { complete: false })).rejects.toThrow('two SIP trunks in the app are named "main" (ids trk-1 and trk-2)');
    const rules: Api = { send: async <T>(req: ApiRequest) => (req.op === 'ListSIPTrunks' ? { sip_trunks: [TRUNK] } : { sip_inbound_routing_rules: [RULE, { ...RULE, id: 'rule-2' }] }) as T };
    await expect(sipRuleKind.fetch(rules, [], { complete: false })).rejects.toThrow(/two SIP inbound routing rules in the app are named "support-line"/);
  });

  it('fails only the rule whose trunk does not exist, after one list of the trunks', async () => {
    const sent: ApiRequest[] = [];
    const api: Api = {
      send: async <T>(req: ApiRequest) => {
        sent.push(req);
        return (req.op === 'ListSIPTrunks' ? { sip_trunks: [TRUNK] } : {}) as T;
      },
    };
    const change = (name: string, trunk: string): PlannedChange => ({ address: `sip_inbound_routing_rule/${name}`, kind: 'sip_inbound_routing_rule', action: 'create', fields: [], desired: { kind: 'sip_inbound_routing_rule', address: `sip_inbound_routing_rule/${name}`, fields: { name, trunks: [trunk], caller_configs: { id: 'c' } }, sensitive: [] } });
    const writer = sipRuleKind.batchers!({ policy: { prune: [], protect: [], ignore: [], ignore_fields: {} } }).find((b) => b.action === 'create')!;
    const errors = await batchErrors(writer, [change('ok', 'main'), change('lost', 'gone')], api);
    expect([...errors]).toEqual([['sip_inbound_routing_rule/lost', 'the SIP trunk "gone" named by the rule does not exist']]);
    expect(sent.map((r) => r.op)).toEqual(['ListSIPTrunks', 'CreateSIPInboundRoutingRule']);
  });

  it('checks with ResolveSipInbound that each called number is routed by this rule (skipped when it has no number)', () => {
    const trunk: DesiredObject = { kind: 'sip_trunk', address: 'sip_trunk/main', fields: { name: 'main', numbers: ['+15550100', '+15550101'] }, sensitive: [] };
    const rule: DesiredObject = { kind: 'sip_inbound_routing_rule', address: 'sip_inbound_routing_rule/r', fields: { name: 'r', trunks: ['main'], caller_configs: { id: 'c' } }, sensitive: [] };
    const desired: DesiredState = { managedKinds: new Set(['sip_trunk', 'sip_inbound_routing_rule']), objects: new Map([[trunk.address, trunk], [rule.address, rule]]), policy: { prune: [], protect: [], ignore: [], ignore_fields: {} }, files: [] };
    const checks = sipRuleKind.checks!(rule, desired);
    expect(checks.map((c) => c.request?.body)).toEqual([
      { sip_trunk_number: '+15550100', sip_caller_number: '+10000000000' },
      { sip_trunk_number: '+15550101', sip_caller_number: '+10000000000' },
    ]);
    expect(checks[0]!.verdict!({ sip_routing_rule: { name: 'r' }, credentials: { token: 'never-shown' } })).toBeUndefined();
    expect(checks[0]!.verdict!({ sip_routing_rule: { name: 'other' } })).toBe('a call to +15550100 is routed by rule "other"');
    expect(checks[0]!.touchedBy({ address: 'sip_trunk/main', action: 'update', fields: [] })).toBe(true);
    const alone = { ...desired, objects: new Map([[rule.address, rule]]) };
    expect(sipRuleKind.checks!(rule, alone)).toMatchObject([{ skip: expect.stringContaining('no called_numbers') }]);
  });

  it('exports a PIN as a placeholder, never its value', () => {
    const live = sipRuleLive({ ...RULE, pin_protection_configs: { enabled: true, default_pin: '4321' } }, trunkNames);
    const out = sipRuleKind.toFile!(live, []);
    expect(JSON.stringify(out)).not.toContain('4321');
    expect(out).not.toHaveProperty('id');
  });

  it.each([
    ['no trunk', { name: 'r', trunks: [], caller_configs: { id: 'c' } }, /at least one trunk/],
    ['both routings', { name: 'r', trunks: ['t'], caller_configs: { id: 'c' }, direct_routing_configs: { call_type: 'a', call_id: 'b' }, pin_routing_configs: {} }, /mutually exclusive/],
    ['trunk ids instead of names', { name: 'r', trunk_ids: ['x'], trunks: ['t'], caller_configs: { id: 'c' } }, /trunk_ids/],
  ])('rejects %s', (_n, value, message) => expectRejected(sipRuleSchema, value, message));
});
