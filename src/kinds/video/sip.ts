import { z } from 'zod';
import type { Api, ApiRequest } from '../../core/api.js';
import { errorMessage } from '../../core/errors.js';
import type { Change, DesiredObject, DesiredState, LiveObject, Rec } from '../../core/model.js';
import type { PlannedChange } from '../../plan/plan.js';
import { addressPart, changedTopLevel, defineKind, envPlaceholder, isRecord, liveObject, noDuplicates, overlay, pick } from '../define.js';
import type { ChangeBatcher, ChangeInput, LiveCheck } from '../types.js';

/**
 * SIP inbound trunks and routing rules (Stream Video telephony). The API identifies both by an id it generates;
 * the file names them, and stream-sync matches live objects by name (`sip_trunk/<name>`,
 * `sip_inbound_routing_rule/<name>`), so a name must be unique in the app. A rule names its trunks by name too
 * (`trunks:`): their ids are looked up when the rule is written, after the trunks it names exist.
 */

const strings = (what: string) => z.array(z.string().min(1)).superRefine(noDuplicates(what));

export const sipTrunkSchema = z
  .object({
    name: addressPart('a SIP trunk name', 100).describe('Identity: the trunk\'s name, unique in the app (`sip_trunk/<name>`); the API\'s id is looked up by it.'),
    numbers: strings('numbers').min(1, 'a trunk has at least one number').max(50, 'a trunk has at most 50 numbers').describe('Phone numbers of the trunk (a set).'),
    allowed_ips: strings('allowed_ips').optional().describe('IPv4/IPv6 addresses or CIDR blocks allowed to use the trunk (a set).'),
    password: z.string().min(1).optional().describe('Secret: the trunk password; write-only, set again only when it changes.'),
  })
  .strict()
  .describe('A SIP inbound trunk (`sip_trunk/<name>`).');

const TRUNK_FIELDS = ['name', 'numbers', 'allowed_ips'] as const;

/** ListSIPTrunks' trunk in the file's shape; `id` is kept to address it (never declared, never exported). */
export const sipTrunkLive = (t: Rec): LiveObject => liveObject('sip_trunk', `sip_trunk/${String(t.name)}`, { ...pick(t, TRUNK_FIELDS), id: t.id });

/**
 * Objects matched by name must have one name each: with two of the same name, which one a plan shows and which
 * one a write reaches would differ. Refused before anything is planned.
 */
function uniqueNames(what: string, objects: Rec[]): Rec[] {
  const seen = new Map<string, unknown>();
  for (const o of objects) {
    const name = String(o.name);
    if (seen.has(name)) throw new Error(`two ${what}s in the app are named "${name}" (ids ${String(seen.get(name))} and ${String(o.id)}): stream-sync matches ${what}s by name; rename or delete one of them`);
    seen.set(name, o.id);
  }
  return objects;
}

const listTrunks = (api: Api) =>
  api.send<{ sip_trunks?: Rec[] }>({ op: 'ListSIPTrunks', method: 'GET', path: '/api/v2/video/sip/inbound_trunks', idempotent: true }).then((r) => uniqueNames('SIP trunk', r.sip_trunks ?? []));

const idOf = (change: Pick<ChangeInput, 'live'>) => String(change.live!.fields.id);

export const sipTrunkKind = defineKind({
  kind: 'sip_trunk',
  section: 'sip_trunks',
  schema: z.array(sipTrunkSchema),
  identityFields: ['name'],
  secretFields: ['/password'],
  writeOnlyFields: ['/password'],
  setFields: ['/numbers', '/allowed_ips'],
  async fetch(api) {
    return (await listTrunks(api)).map(sipTrunkLive);
  },
  requests({ action, desired, live, fields }) {
    if (action === 'delete') return [{ op: 'DeleteSIPTrunk', method: 'DELETE', path: '/api/v2/video/sip/inbound_trunks/{id}', params: { id: idOf({ live }) }, idempotent: true }];
    if (action === 'create') return [{ op: 'CreateSIPTrunk', method: 'POST', path: '/api/v2/video/sip/inbound_trunks', body: desired!.fields, idempotent: false }];
    // UpdateSIPTrunk requires the name and numbers, and may replace the trunk whole: what the app has goes with every
    // update (the allowed IPs too); the password only when it changed.
    const body = { ...pick(live!.fields, TRUNK_FIELDS), ...pick(desired!.fields, changedTopLevel(fields)) };
    return [{ op: 'UpdateSIPTrunk', method: 'PUT', path: '/api/v2/video/sip/inbound_trunks/{id}', params: { id: idOf({ live }) }, body, idempotent: true }];
  },
  async reread(api, desired) {
    const found = (await listTrunks(api)).find((t) => t.name === desired.fields.name);
    return found ? sipTrunkLive(found) : undefined;
  },
  // The password is left out: it is optional, and a placeholder would make every exported trunk need a variable.
  toFile: (live) => pick(live.fields, TRUNK_FIELDS),
});

const customData = z.record(z.string(), z.unknown());

export const sipRuleSchema = z
  .object({
    name: addressPart('a SIP inbound routing rule name', 100).describe('Identity: the rule\'s name, unique in the app (`sip_inbound_routing_rule/<name>`); the API\'s id is looked up by it.'),
    trunks: strings('trunks').min(1, 'a rule names at least one trunk').max(50, 'a rule names at most 50 trunks').describe('The SIP trunks (by name) whose calls this rule routes.'),
    called_numbers: strings('called_numbers').max(50, 'a rule lists at most 50 called numbers').optional().describe('The dialled numbers this rule applies to (a set, at most 50).'),
    caller_numbers: strings('caller_numbers').max(50, 'a rule lists at most 50 caller numbers').optional().describe('The caller numbers this rule applies to (a set, at most 50); absent: any caller.'),
    caller_configs: z
      .object({
        id: z.string().min(1).max(255).describe('The caller\'s user id in the call (a Handlebars template, e.g. from the caller number).'),
        custom_data: customData.optional().describe('Custom data of the caller (values are Handlebars templates).'),
      })
      .strict()
      .describe('Who the caller is in the call: their id and custom data.'),
    call_configs: z
      .object({ custom_data: customData.optional().describe('Custom data of the call the caller joins.') })
      .strict()
      .optional()
      .describe('Settings of the call the caller joins.'),
    direct_routing_configs: z
      .object({
        call_type: z.string().min(1).describe('The call type of the call (a `call_type` name).'),
        call_id: z.string().min(1).describe('The id of the call (a Handlebars template).'),
      })
      .strict()
      .optional()
      .describe('Route calls straight into this call (mutually exclusive with pin_routing_configs).'),
    pin_routing_configs: z
      .object({
        custom_webhook_url: z.string().describe('A webhook that maps the PIN entered to a call (custom PIN handling).'),
        pin_prompt: z.string().describe('What the caller hears when asked for the PIN.'),
        pin_success_prompt: z.string().describe('What the caller hears when the PIN is accepted.'),
        pin_failed_attempt_prompt: z.string().describe('What the caller hears when a PIN is wrong.'),
        pin_hangup_prompt: z.string().describe('What the caller hears before being hung up on (too many wrong PINs).'),
      })
      .partial()
      .strict()
      .optional()
      .describe('Route calls by a PIN the caller enters (mutually exclusive with direct_routing_configs).'),
    pin_protection_configs: z
      .object({
        enabled: z.boolean().describe('Whether callers must enter a PIN.'),
        default_pin: z.string().min(3).max(20).describe('The PIN used when the call sets none (3 to 20 characters).'),
        max_attempts: z.number().int().min(1).max(10).describe('How many PIN attempts a caller has (1 to 10).'),
        required_pin_digits: z.number().int().min(3).max(10).describe('How many digits a PIN has (3 to 10).'),
      })
      .partial()
      .strict()
      .optional()
      .describe('Protect the call with a PIN the caller must enter.'),
  })
  .strict()
  .refine((r) => !(r.direct_routing_configs && r.pin_routing_configs), { message: 'direct_routing_configs and pin_routing_configs are mutually exclusive', path: ['pin_routing_configs'] })
  .describe('A SIP inbound routing rule (`sip_inbound_routing_rule/<name>`).');

const RULE_FIELDS = ['name', 'called_numbers', 'caller_numbers', 'caller_configs', 'call_configs', 'direct_routing_configs', 'pin_routing_configs', 'pin_protection_configs'] as const;

/** A live rule in the file's shape: its trunks by name (an id no trunk has stays an id). */
export function sipRuleLive(r: Rec, trunkNames: ReadonlyMap<string, string>): LiveObject {
  const trunks = ((r.trunk_ids as string[] | undefined) ?? []).map((id) => trunkNames.get(id) ?? id);
  return liveObject('sip_inbound_routing_rule', `sip_inbound_routing_rule/${String(r.name)}`, { ...pick(r, RULE_FIELDS), trunks, id: r.id });
}

/** The rule's request body: what the file declares over what the app has (the API requires the whole rule), trunks as ids. */
function ruleBody({ desired, live }: Pick<ChangeInput, 'desired' | 'live'>, trunkIds: ReadonlyMap<string, string>): Rec {
  const base = { ...(live?.fields ?? {}) };
  // Direct and PIN routing are exclusive: declaring one drops the other the app has.
  if (desired!.fields.pin_routing_configs !== undefined) delete base.direct_routing_configs;
  if (desired!.fields.direct_routing_configs !== undefined) delete base.pin_routing_configs;
  const { trunks, id: _id, ...fields } = overlay(base, desired!.fields) as Rec;
  const missing = (trunks as string[]).filter((name) => !trunkIds.has(name));
  if (missing.length) throw new Error(`the SIP trunk${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} named by the rule do${missing.length > 1 ? '' : 'es'} not exist`);
  return { ...fields, trunk_ids: (trunks as string[]).map((name) => trunkIds.get(name)!) };
}

export function sipRuleRequest(change: Pick<ChangeInput, 'action' | 'desired' | 'live'>, trunkIds: ReadonlyMap<string, string>): ApiRequest {
  if (change.action === 'create') return { op: 'CreateSIPInboundRoutingRule', method: 'POST', path: '/api/v2/video/sip/inbound_routing_rules', body: ruleBody(change, trunkIds), idempotent: false };
  return { op: 'UpdateSIPInboundRoutingRule', method: 'PUT', path: '/api/v2/video/sip/inbound_routing_rules/{id}', params: { id: idOf(change) }, body: ruleBody(change, trunkIds), idempotent: true };
}

/** Creates and updates of rules look up the ids of the trunks they name once per batch, when those trunks exist. */
const ruleWriter = (action: 'create' | 'update'): ChangeBatcher => ({
  kind: 'sip_inbound_routing_rule',
  action,
  async run(changes: readonly PlannedChange[], api, done) {
    const trunkIds = new Map((await listTrunks(api)).map((t) => [String(t.name), String(t.id)]));
    for (const change of changes) {
      // A trunk that does not exist fails this rule only (sipRuleRequest throws before anything is sent).
      const error = await Promise.resolve()
        .then(() => api.send(sipRuleRequest(change, trunkIds)))
        .then(() => undefined, errorMessage);
      done(change.address, error);
    }
  },
});

/**
 * ResolveSipInbound for each number the rule answers (its called numbers, or else its trunks' numbers): Stream must
 * route a call to that number to this rule. Only the rule's name is read from the answer (it also carries a call
 * token, never printed).
 */
function ruleChecks(rule: DesiredObject, desired: DesiredState): LiveCheck[] {
  const trunks = ((rule.fields.trunks as string[] | undefined) ?? []).map((t) => desired.objects.get(`sip_trunk/${t}`));
  const called = (rule.fields.called_numbers as string[] | undefined) ?? trunks.flatMap((t) => (t?.fields.numbers as string[] | undefined) ?? []);
  const caller = ((rule.fields.caller_numbers as string[] | undefined) ?? [])[0] ?? '+10000000000';
  const touchedBy = (c: Pick<Change, 'address' | 'action'>) => c.action !== 'delete' && (c.address === rule.address || trunks.some((t) => t?.address === c.address));
  if (called.length === 0) return [{ name: `ResolveSipInbound ${rule.address}`, address: rule.address, skip: 'the rule declares no called_numbers, and the file does not declare its trunks\' numbers', touchedBy }];
  return called.map((number) => ({
    name: `ResolveSipInbound ${rule.address} (${number})`,
    address: rule.address,
    request: { op: 'ResolveSipInbound', method: 'POST', path: '/api/v2/video/sip/resolve', body: { sip_trunk_number: number, sip_caller_number: caller }, idempotent: true },
    verdict: (res: Rec) => {
      const routed = (res.sip_routing_rule as Rec | undefined)?.name;
      return routed === rule.fields.name ? undefined : routed ? `a call to ${number} is routed by rule "${String(routed)}"` : `no rule routes a call to ${number}`;
    },
    touchedBy,
  }));
}

export const sipRuleKind = defineKind({
  kind: 'sip_inbound_routing_rule',
  section: 'sip_inbound_routing_rules',
  schema: z.array(sipRuleSchema),
  identityFields: ['name'],
  // Its trunks, and the call type it routes into, exist first; a rule that stops naming them lets them go.
  dependsOn: ['sip_trunk', 'call_type'],
  releases: ['sip_trunk', 'call_type'],
  refs: (fields) => [
    ...((fields.trunks as string[] | undefined) ?? []).map((t) => `sip_trunk/${t}`),
    ...(typeof (fields.direct_routing_configs as Rec | undefined)?.call_type === 'string' ? [`call_type/${String((fields.direct_routing_configs as Rec).call_type)}`] : []),
  ],
  secretFields: ['/pin_protection_configs/default_pin'],
  writeOnlyFields: ['/pin_protection_configs/default_pin'],
  setFields: ['/trunks', '/called_numbers', '/caller_numbers'],
  async fetch(api) {
    const [rules, trunks] = await Promise.all([
      api.send<{ sip_inbound_routing_rules?: Rec[] }>({ op: 'ListSIPInboundRoutingRule', method: 'GET', path: '/api/v2/video/sip/inbound_routing_rules', idempotent: true }),
      listTrunks(api),
    ]);
    const names = new Map(trunks.map((t) => [String(t.id), String(t.name)]));
    return uniqueNames('SIP inbound routing rule', rules.sip_inbound_routing_rules ?? []).map((r) => sipRuleLive(r, names));
  },
  batchers: () => [ruleWriter('create'), ruleWriter('update')],
  checks: ruleChecks,
  requests(change) {
    if (change.action === 'delete') return [{ op: 'DeleteSIPInboundRoutingRule', method: 'DELETE', path: '/api/v2/video/sip/inbound_routing_rules/{id}', params: { id: idOf(change) }, idempotent: true }];
    // The trunks' ids are known only once they exist: ruleWriter looks them up when the rule is written.
    throw new Error(`${change.address}: rules are written by their batcher, which looks up the ids of the trunks they name`);
  },
  toFile: (live) => {
    const { id: _id, ...fields } = live.fields;
    const pin = fields.pin_protection_configs;
    // A PIN the API may echo is a secret: a placeholder, never its value.
    if (isRecord(pin) && pin.default_pin) fields.pin_protection_configs = { ...pin, default_pin: envPlaceholder('sip_inbound_routing_rule', String(fields.name), 'default_pin') };
    return fields;
  },
});
