import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { inputError, orNotFound } from '../../errors.js';
import { mapSlice, type Resource } from '../../resource.js';
import { route, type RequestContext } from '../../router.js';
import type { AppState, Rec } from '../../store.js';
import { nowIso, parseInput } from '../../validate.js';

declare module '../../store.js' {
  interface AppState {
    /** id → SIPTrunkResponse. */
    sipTrunks: Map<string, Rec>;
    /** id → SIPInboundRoutingRuleResponse (without `duration`). */
    sipInboundRoutingRules: Map<string, Rec>;
  }
}

/**
 * SIP inbound trunks and routing rules (`/api/v2/video/sip/…`). Ids are server-generated UUIDs; lists answer in
 * creation order. Where neither the spec nor Stream's docs say, the emulator chose:
 * - A trunk's `uri` and `username` are generated from its id. `password` is what the request set, echoed back (the
 *   response schema requires it and nothing says Stream masks it); without one the server generates one, since
 *   the trunk's generated username needs a credential.
 * - UpdateSIPTrunk requires `name` and `numbers` (the spec) and replaces them; `password` and `allowed_ips` change
 *   only when sent.
 * - UpdateSIPInboundRoutingRule requires the same fields as a create and replaces the whole rule.
 * - `direct_routing_configs` and `pin_routing_configs` are mutually exclusive (the spec); a rule may have neither
 *   (the spec requires neither). A direct route names an existing call type.
 * - A trunk that rules still name cannot be deleted (400/4): delete or change the rules first.
 * ResolveSipInbound (what Stream's SIP bridge asks when a call comes in) is modelled further down, next to its route.
 */

const ip = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]);
const numbers = z.array(z.string().min(1)).min(1).max(50);
const trunkFields = { name: z.string().min(1).max(100), numbers, password: z.string().max(255).optional() };
const createTrunkSchema = z.object({ ...trunkFields, allowed_ips: z.array(ip).max(50).optional() });
const updateTrunkSchema = z.object({ ...trunkFields, allowed_ips: z.array(ip).optional() });

const freeMap = z.record(z.string(), z.unknown());
/** SIPInboundRoutingRuleRequest (create) and UpdateSIPInboundRoutingRuleRequest differ only in their limits. */
const ruleSchema = (create: boolean) => {
  const list = create ? z.array(z.string()).max(50) : z.array(z.string());
  return z.object({
    name: create ? z.string().min(1).max(100) : z.string().max(255),
    trunk_ids: create ? z.array(z.string()).min(1).max(50) : z.array(z.string()).min(1),
    caller_configs: z.object({ id: z.string().max(255), custom_data: freeMap.optional() }),
    called_numbers: list.optional(),
    caller_numbers: list.optional(),
    call_configs: z.object({ custom_data: freeMap.optional() }).optional(),
    direct_routing_configs: z.object({ call_type: z.string().max(100), call_id: z.string().max(255) }).optional(),
    pin_routing_configs: z.object({
      pin_prompt: z.string().max(500).optional(),
      pin_failed_attempt_prompt: z.string().max(500).optional(),
      pin_success_prompt: z.string().max(500).optional(),
      pin_hangup_prompt: z.string().max(500).optional(),
      custom_webhook_url: z.string().max(2048).optional(),
    }).optional(),
    pin_protection_configs: z.object({
      enabled: z.boolean().optional(),
      max_attempts: z.number().int().min(1).max(10).optional(),
      required_pin_digits: z.number().int().min(3).max(10).optional(),
      default_pin: z.string().min(3).max(20).optional(),
    }).optional(),
  });
};
const createRuleSchema = ruleSchema(true);
const updateRuleSchema = ruleSchema(false);
type RuleInput = z.infer<typeof createRuleSchema> | z.infer<typeof updateRuleSchema>;

const newUuid = (ctx: RequestContext, map: Map<string, Rec>) => ctx.newId(undefined, (id) => map.has(id));

const trunkNotFound = (id: string) => `SIP trunk "${id}" does not exist`;
const findTrunk = (ctx: RequestContext) => orNotFound(ctx.app.sipTrunks.get(ctx.params.id!), trunkNotFound(ctx.params.id!));
const findRule = (ctx: RequestContext) => orNotFound(ctx.app.sipInboundRoutingRules.get(ctx.params.id!), `SIP inbound routing rule "${ctx.params.id}" does not exist`);

const listSipTrunks = route('GET', '/api/v2/video/sip/inbound_trunks', 'ListSIPTrunks', ({ app }) => ({ sip_trunks: [...app.sipTrunks.values()] }));

const createSipTrunk = route('POST', '/api/v2/video/sip/inbound_trunks', 'CreateSIPTrunk', (ctx) => {
  const input = parseInput(createTrunkSchema, ctx.body);
  const id = newUuid(ctx, ctx.app.sipTrunks);
  const compact = id.replace(/-/g, '');
  const at = nowIso(ctx.now);
  const trunk = {
    id,
    name: input.name,
    numbers: input.numbers,
    uri: `sip:${compact.slice(0, 16)}@sip.stream-io-video.com`,
    username: `trunk_${compact.slice(0, 12)}`,
    password: input.password ?? ctx.newId().replace(/-/g, ''),
    allowed_ips: input.allowed_ips ?? [],
    created_at: at,
    updated_at: at,
  };
  ctx.app.sipTrunks.set(id, trunk);
  return { sip_trunk: trunk };
});

const updateSipTrunk = route('PUT', '/api/v2/video/sip/inbound_trunks/{id}', 'UpdateSIPTrunk', (ctx) => {
  const input = parseInput(updateTrunkSchema, ctx.body);
  const trunk = findTrunk(ctx);
  trunk.name = input.name;
  trunk.numbers = input.numbers;
  if (input.password !== undefined) trunk.password = input.password;
  if (input.allowed_ips !== undefined) trunk.allowed_ips = input.allowed_ips;
  trunk.updated_at = nowIso(ctx.now);
  return { sip_trunk: trunk };
});

const deleteSipTrunk = route('DELETE', '/api/v2/video/sip/inbound_trunks/{id}', 'DeleteSIPTrunk', (ctx) => {
  const trunk = findTrunk(ctx);
  const users = [...ctx.app.sipInboundRoutingRules.values()].filter((r) => (r.trunk_ids as string[]).includes(trunk.id));
  if (users.length) throw inputError(`SIP trunk "${trunk.id}" is used by routing rule(s) ${users.map((r) => `"${r.name}"`).join(', ')}: change or delete them first`);
  ctx.app.sipTrunks.delete(trunk.id);
  return {};
});

function checkRule(app: AppState, input: RuleInput): void {
  const missing = input.trunk_ids.filter((id) => !app.sipTrunks.has(id));
  if (missing.length) {
    const detail = `trunk_ids: SIP trunk(s) ${missing.map((id) => `"${id}"`).join(', ')} do not exist`;
    throw inputError(detail, { trunk_ids: detail });
  }
  if (input.direct_routing_configs && input.pin_routing_configs) {
    const detail = 'direct_routing_configs and pin_routing_configs are mutually exclusive';
    throw inputError(detail, { direct_routing_configs: detail, pin_routing_configs: detail });
  }
  const callType = input.direct_routing_configs?.call_type;
  if (callType !== undefined && !app.callTypes.has(callType)) {
    throw inputError(`call type "${callType}" does not exist`, { 'direct_routing_configs.call_type': `call type "${callType}" does not exist` });
  }
}

/** The read shape of a rule: what the request set, with the response schema's required parts filled in. */
function ruleFrom(id: string, input: RuleInput, createdAt: string, at: string): Rec {
  const rule: Rec = {
    id,
    name: input.name,
    trunk_ids: [...new Set(input.trunk_ids)],
    called_numbers: input.called_numbers ?? [],
    caller_numbers: input.caller_numbers ?? [],
    caller_configs: { id: input.caller_configs.id, custom_data: input.caller_configs.custom_data ?? {} },
    created_at: createdAt,
    updated_at: at,
  };
  if (input.call_configs) rule.call_configs = { custom_data: input.call_configs.custom_data ?? {} };
  if (input.direct_routing_configs) rule.direct_routing_configs = input.direct_routing_configs;
  if (input.pin_routing_configs) rule.pin_routing_configs = input.pin_routing_configs;
  if (input.pin_protection_configs) rule.pin_protection_configs = { enabled: false, ...input.pin_protection_configs };
  return rule;
}

/**
 * A rule inside another answer (the list, Update's wrapper). The spec's SIPInboundRoutingRuleResponse is also
 * CreateSIPInboundRoutingRule's whole answer, so it requires `duration`: nested, Stream's server leaves that field of
 * its embedded response empty.
 */
const nested = (rule: Rec): Rec => ({ ...rule, duration: '' });

const listRules = route('GET', '/api/v2/video/sip/inbound_routing_rules', 'ListSIPInboundRoutingRule', ({ app }) => ({
  sip_inbound_routing_rules: [...app.sipInboundRoutingRules.values()].map(nested),
}));

const createRule = route('POST', '/api/v2/video/sip/inbound_routing_rules', 'CreateSIPInboundRoutingRule', (ctx) => {
  const input = parseInput(createRuleSchema, ctx.body);
  checkRule(ctx.app, input);
  const at = nowIso(ctx.now);
  const rule = ruleFrom(newUuid(ctx, ctx.app.sipInboundRoutingRules), input, at, at);
  ctx.app.sipInboundRoutingRules.set(rule.id, rule);
  // CreateSIPInboundRoutingRule answers the rule itself; Update wraps it in `sip_inbound_routing_rule` (the spec).
  return rule;
});

const updateRule = route('PUT', '/api/v2/video/sip/inbound_routing_rules/{id}', 'UpdateSIPInboundRoutingRule', (ctx) => {
  const input = parseInput(updateRuleSchema, ctx.body);
  const current = findRule(ctx);
  checkRule(ctx.app, input);
  const rule = ruleFrom(current.id, input, current.created_at, nowIso(ctx.now));
  ctx.app.sipInboundRoutingRules.set(rule.id, rule);
  return { sip_inbound_routing_rule: nested(rule) };
});

const deleteRule = route('DELETE', '/api/v2/video/sip/inbound_routing_rules/{id}', 'DeleteSIPInboundRoutingRule', (ctx) => {
  ctx.app.sipInboundRoutingRules.delete(findRule(ctx).id);
  return {};
});

/**
 * ResolveSipInbound: which trunk and rule an incoming call lands on, and the credentials the SIP bridge joins with.
 * The spec documents only 400 and 429 for it, so everything that does not resolve is 400/4. Choices:
 * - Trunk: the one named by `trunk_id` when sent (the bridge pre-authenticated it), otherwise the first trunk (in
 *   creation order) whose `numbers` contain `sip_trunk_number`.
 * - Authentication: ResolveSipAuth (which tells the bridge whether to challenge) is not served, so the emulator cannot
 *   know whether the bridge let the call in by source IP. A request without `challenge` is therefore accepted (the
 *   caller is taken as pre-authenticated). A `challenge` that is sent is checked as an RFC 7616 digest response
 *   against the trunk's `username` and `password` (MD5 or SHA-256, `qop=auth` or none; the deprecated `a1` is not
 *   trusted); a wrong one is 400/4.
 * - Rule: the first rule in creation order that names the trunk, whose `called_numbers` (when any) contain
 *   `sip_trunk_number` and whose `caller_numbers` (when any) contain `sip_caller_number`.
 * - The spec calls `caller_configs.id`, the values of `caller_configs.custom_data` and `direct_routing_configs.call_id`
 *   handlebars templates. They are rendered with `caller_number`, `called_number` (the trunk number) and `uuid` (a
 *   fresh UUID); like handlebars, an unknown variable renders empty. `call_configs.custom_data` is not a template.
 * - user_id: the rendered `caller_configs.id`, or `sip-<digits of the caller number>` when that renders empty.
 * - A direct route gives its call type and rendered call id. With PIN routing (or neither) the call is only known once
 *   the caller has entered a PIN, so the answer has `call_type: "default"` and an empty `call_id`, and the token
 *   grants no call.
 * - token: an HS256 JWT signed with the app's secret (as CreateGuest's), `{user_id, call_cids, iat, exp}` with the
 *   SDK's default validity of one hour; `call_cids` only when the call is known.
 * - Resolving has no side effects: no user or call is created. `routing_number` and `sip_headers` are validated and
 *   otherwise ignored.
 */
const optionalStrings = <K extends string>(...keys: K[]) => Object.fromEntries(keys.map((k) => [k, z.string().optional()])) as Record<K, z.ZodOptional<z.ZodString>>;
const resolveSchema = z.object({
  sip_trunk_number: z.string().min(1),
  sip_caller_number: z.string().min(1),
  trunk_id: z.string().optional(),
  routing_number: z.string().min(3).max(12).optional(),
  sip_headers: z.record(z.string(), z.string()).optional(),
  // SIPChallengeRequest: the fields the digest check reads (the others are accepted and ignored).
  challenge: z.object({ ...optionalStrings('username', 'realm', 'nonce', 'uri', 'method', 'algorithm', 'nc', 'cnonce', 'response'), qop: z.array(z.string()).optional() }).optional(),
});
type Challenge = NonNullable<z.infer<typeof resolveSchema>['challenge']>;

const DIGEST_HASHES: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

function digestMatches(trunk: Rec, c: Challenge): boolean {
  const algorithm = DIGEST_HASHES[(c.algorithm || 'MD5').toUpperCase()];
  if (!algorithm || !c.response || c.username !== trunk.username) return false;
  const h = (s: string) => createHash(algorithm).update(s).digest('hex');
  const ha1 = h(`${trunk.username}:${c.realm ?? ''}:${trunk.password}`);
  const ha2 = h(`${c.method || 'INVITE'}:${c.uri ?? ''}`);
  const expected = c.qop?.includes('auth') ? h(`${ha1}:${c.nonce ?? ''}:${c.nc ?? ''}:${c.cnonce ?? ''}:auth:${ha2}`) : h(`${ha1}:${c.nonce ?? ''}:${ha2}`);
  return c.response.toLowerCase() === expected;
}

/** `{{ name }}` → the variable's value; unknown variables render empty, as in handlebars. */
const render = (template: string, vars: Record<string, () => string>) => template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_m, name: string) => vars[name]?.() ?? '');

const resolveSipInbound = route('POST', '/api/v2/video/sip/resolve', 'ResolveSipInbound', async (ctx) => {
  const input = parseInput(resolveSchema, ctx.body);
  const { app } = ctx;
  const number = input.sip_trunk_number;
  const caller = input.sip_caller_number;
  const trunk = input.trunk_id !== undefined
    ? app.sipTrunks.get(input.trunk_id)
    : [...app.sipTrunks.values()].find((t) => (t.numbers as string[]).includes(number));
  if (!trunk) throw inputError(input.trunk_id !== undefined ? trunkNotFound(input.trunk_id) : `no SIP trunk has the number "${number}"`);
  if (input.challenge && !digestMatches(trunk, input.challenge)) throw inputError(`SIP digest authentication failed for trunk "${trunk.id}"`);

  const rule = [...app.sipInboundRoutingRules.values()].find((r) =>
    (r.trunk_ids as string[]).includes(trunk.id)
    && ((r.called_numbers as string[]).length === 0 || (r.called_numbers as string[]).includes(number))
    && ((r.caller_numbers as string[]).length === 0 || (r.caller_numbers as string[]).includes(caller)));
  if (!rule) throw inputError(`no SIP inbound routing rule of trunk "${trunk.id}" matches a call from "${caller}" to "${number}"`);

  const vars = { caller_number: () => caller, called_number: () => number, uuid: () => ctx.newId() };
  const callerConfigs = rule.caller_configs as { id: string; custom_data: Record<string, unknown> };
  const userId = render(callerConfigs.id, vars) || `sip-${caller.replace(/\D/g, '')}`;
  const userCustomData = Object.fromEntries(Object.entries(callerConfigs.custom_data).map(([k, v]) => [k, typeof v === 'string' ? render(v, vars) : v]));
  const direct = rule.direct_routing_configs as { call_type: string; call_id: string } | undefined;
  const callType = direct?.call_type ?? 'default';
  const callId = direct ? render(direct.call_id, vars) : '';

  const iat = Math.floor(ctx.now / 1000);
  const claims = { user_id: userId, ...(callId ? { call_cids: [`${callType}:${callId}`] } : {}), iat, exp: iat + 3600 };
  const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(app.secret));
  return {
    credentials: {
      call_type: callType,
      call_id: callId,
      user_id: userId,
      token,
      api_key: app.key,
      call_custom_data: (rule.call_configs as { custom_data?: Rec } | undefined)?.custom_data ?? {},
      user_custom_data: userCustomData,
    },
    sip_routing_rule: nested(rule),
    sip_trunk: trunk,
  };
});

export const sip: Resource = {
  name: 'video SIP',
  state: { sipTrunks: mapSlice(), sipInboundRoutingRules: mapSlice() },
  routes: [listSipTrunks, createSipTrunk, updateSipTrunk, deleteSipTrunk, listRules, createRule, updateRule, deleteRule, resolveSipInbound],
};
