import { z } from 'zod';
import { inputError, orNotFound } from '../../errors.js';
import { mapSlice, type Resource } from '../../resource.js';
import { route, type RequestContext } from '../../router.js';
import type { AppState, Rec } from '../../store.js';
import { nowIso, parseInput } from '../../validate.js';
import { runQuery, type Queryable } from '../poll-query.js';
import { configKey } from './configs.js';
import { RULE_LABELS } from './labels.js';
import { actionSequencesSchema, conditionsSchema, groupsSchema, ruleActionSchema } from './schemas.js';

declare module '../../store.js' {
  interface AppState {
    /** id → ModerationRuleV2Response (read shape). */
    moderationRules: Map<string, Rec>;
  }
}

/**
 * Moderation rules (`/api/v2/moderation/moderation_rule`, `/moderation_rules`). The spec calls `name` the "unique rule
 * name" and gives the request no `id`, so a rule's identity is its name within its team (`""` when none):
 *
 * - UpsertModerationRule with a new name creates a rule with a fresh id; with a name the team already has, it
 *   replaces that rule whole (fields left out fall back to their defaults: `description` "", `config_keys` [],
 *   `enabled` true, no conditions or action) and keeps its id and `created_at`.
 * - `rule_type` is one of the spec's `user`, `content`, `call`, `flood`; `logic` is `AND` or `OR`; `cooldown_period`
 *   a duration such as `24h` or `7d` (the spec's examples). Otherwise 400/4.
 * - Every `config_keys` entry must name a moderation config of the rule's team: 400/4
 *   `config_keys: moderation config "x" does not exist` (the emulator's choice, as a rule for no config applies
 *   nowhere). A rule without config keys is global (`is_global` in query filters).
 */

const RULE_TYPES = ['user', 'content', 'call', 'flood'] as const;
const DURATION = /^(\d+(ms|s|m|h|d|w))+$/;

const upsertSchema = z.object({
  name: z.string().min(1).max(255),
  rule_type: z.enum(RULE_TYPES),
  description: z.string().optional(),
  team: z.string().optional(),
  config_keys: z.array(z.string().min(1)).optional(),
  enabled: z.boolean().optional(),
  logic: z.enum(['AND', 'OR']).optional(),
  cooldown_period: z.string().regex(DURATION, { error: 'must be a duration such as 30m, 24h or 7d' }).optional(),
  action: ruleActionSchema.optional(),
  action_sequences: actionSequencesSchema.optional(),
  conditions: conditionsSchema.optional(),
  groups: groupsSchema.optional(),
  user_id: z.string().optional(),
  user: z.object({ id: z.string() }).optional(),
});

const OPTIONAL = ['logic', 'cooldown_period', 'action', 'action_sequences', 'conditions', 'groups'] as const;

function findByName(app: AppState, name: string, team: string): Rec | undefined {
  for (const rule of app.moderationRules.values()) if (rule.name === name && rule.team === team) return rule;
  return undefined;
}

const findRule = (ctx: RequestContext) => orNotFound(ctx.app.moderationRules.get(ctx.params.id!), `moderation rule "${ctx.params.id}" does not exist`);

const upsertRule = route('POST', '/api/v2/moderation/moderation_rule', 'upsert_moderation_rule', (ctx) => {
  const input = parseInput(upsertSchema, ctx.body);
  const { app } = ctx;
  const team = input.team ?? '';
  const configKeys = [...new Set(input.config_keys ?? [])];
  const unknown = configKeys.find((key) => !app.moderationConfigs.has(configKey(team, key)));
  if (unknown !== undefined) {
    throw inputError(`config_keys: moderation config "${unknown}" does not exist`, { config_keys: `moderation config "${unknown}" does not exist` });
  }
  const existing = findByName(app, input.name, team);
  const at = nowIso(ctx.now);
  const rule: Rec = {
    id: existing?.id ?? ctx.newId(undefined, (id) => app.moderationRules.has(id)),
    name: input.name,
    description: input.description ?? '',
    config_keys: configKeys,
    team,
    rule_type: input.rule_type,
    enabled: input.enabled ?? true,
  };
  for (const f of OPTIONAL) if (input[f] !== undefined) rule[f] = input[f];
  rule.created_at = existing?.created_at ?? at;
  rule.updated_at = at;
  app.moderationRules.set(rule.id, rule);
  return { rule };
});

const getRule = route('GET', '/api/v2/moderation/moderation_rule/{id}', 'get_moderation_rule', (ctx) => ({ rule: findRule(ctx) }));

const deleteRule = route('DELETE', '/api/v2/moderation/moderation_rule/{id}', 'delete_moderation_rule', (ctx) => {
  ctx.app.moderationRules.delete(findRule(ctx).id);
  return {};
});

const CMP = ['$eq', '$exists', '$gt', '$gte', '$in', '$lt', '$lte'];
/** The spec's `x-stream-filter-fields` of QueryModerationRulesRequest (`rule_type` is not one of them). */
const RULE_QUERY: Queryable = {
  fields: {
    config_keys: { type: 'string', ops: ['$eq', '$in'] },
    created_at: { type: 'date', ops: CMP },
    description: { type: 'string', ops: CMP },
    enabled: { type: 'boolean', ops: CMP },
    id: { type: 'string', ops: CMP },
    is_global: { type: 'boolean', ops: CMP },
    name: { type: 'string', ops: [...CMP, '$autocomplete'] },
    team: { type: 'string', ops: CMP },
    updated_at: { type: 'date', ops: CMP },
  },
  sortFields: ['name', 'team', 'enabled', 'created_at', 'updated_at', 'id'],
};

const queryRules = route('POST', '/api/v2/moderation/moderation_rules', 'query_moderation_rules', ({ app, body }) => {
  const records = [...app.moderationRules.values()].map((r) => ({ ...r, is_global: (r.config_keys as string[]).length === 0 }));
  const { page, next, prev } = runQuery(RULE_QUERY, records, body);
  const rules = page.map(({ is_global: _global, ...rule }) => rule);
  return { rules, ...(next && { next }), ...(prev && { prev }), ...structuredClone(RULE_LABELS) };
});

export const moderationRules: Resource = {
  name: 'moderation rules',
  state: { moderationRules: mapSlice() },
  routes: [upsertRule, getRule, deleteRule, queryRules],
};
