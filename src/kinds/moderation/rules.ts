import { z } from 'zod';
import type { LiveObject, Rec } from '../../core/model.js';
import { addressPart, defineKind, liveObject, noDuplicates, paginate, pick } from '../define.js';
import { configAddress, MODERATION_PAGE } from './configs.js';
import { callRuleActionSequence, condition, conditionGroup, ruleAction } from './rule-parts.js';

export const moderationRuleSchema = z
  .object({
    name: addressPart('a moderation rule name', 255).describe('Identity: the rule\'s unique name (`moderation_rule/<name>`); the API\'s id is looked up by it.'),
    rule_type: z.enum(['user', 'content', 'call', 'flood']).describe('What the rule judges: user (a user\'s history), content (a message), call, or flood.'),
    description: z.string().optional().describe('What the rule is for, for reviewers.'),
    enabled: z.boolean().optional().describe('Whether the rule is in force (default true).'),
    team: addressPart('a team', 255).optional().describe('Identity with the name: the team the rule belongs to (multi-tenant apps), addressed `moderation_rule/<team>/<name>`; its config_keys name configs of that team.'),
    config_keys: z.array(z.string().min(1)).superRefine(noDuplicates('config_keys')).optional().describe('The moderation configs (keys) the rule applies under (a set; each names a moderation_configs key).'),
    logic: z.enum(['AND', 'OR']).optional().describe('How conditions (or groups) combine: AND or OR.'),
    conditions: z.array(condition).optional().describe('The conditions (type, confidence and the type\'s parameters), combined by logic.'),
    groups: z.array(conditionGroup).optional().describe('Groups of conditions, each combined by its own logic, the groups by the rule\'s (instead of conditions).'),
    action: ruleAction.optional().describe('What happens when the rule matches (compared whole: a new type drops the old type\'s options).'),
    action_sequences: z.array(callRuleActionSequence).optional().describe('Escalating actions by violation number (call rules).'),
    cooldown_period: z
      .string()
      .regex(/^\d+[smhd]$/, 'cooldown_period must be a number and a unit, such as "24h" or "7d"')
      .optional()
      .describe('How long after a match the rule does not act again on the same user, e.g. "24h".'),
  })
  .strict()
  .describe('A Stream moderation rule: conditions on content or users, the action taken when they hold, under which configs.');

const FIELDS = Object.keys(moderationRuleSchema.shape);
/** The API's id of a rule: not a file field (never declared, never compared), needed to delete it. */
const RULE_ID = 'id';

/** A rule's address: `moderation_rule/<name>`, or `moderation_rule/<team>/<name>` for a team's rule. */
const ruleAddress = (name: unknown, team?: unknown) => (team ? `moderation_rule/${String(team)}/${String(name)}` : `moderation_rule/${String(name)}`);

/** A ModerationRuleV2Response in the file's shape, with its id kept aside for deletes. */
export function moderationRuleLive(r: Rec): LiveObject {
  const fields = pick(r, FIELDS);
  if (!fields.team) delete fields.team;
  // None reads as none, as a file says it when it switches to the other form (see exclusive).
  for (const k of ['conditions', 'groups'] as const) fields[k] ??= [];
  fields[RULE_ID] = r.id;
  return liveObject('moderation_rule', ruleAddress(r.name, fields.team), fields);
}

/**
 * A rule's conditions are either `conditions` or `groups`: declaring one clears the other (as `[]`, which the plan
 * shows), so a rule switched from one form to the other does not keep the old conditions in force.
 */
function exclusive(fields: Rec): Rec {
  if (fields.groups !== undefined && fields.conditions === undefined) return { ...fields, conditions: [] };
  if (fields.conditions !== undefined && fields.groups === undefined) return { ...fields, groups: [] };
  return fields;
}

/**
 * Moderation rules (`moderation_rule/<name>`): conditions → action, under the configs they name. Stream assigns
 * each rule an id but upserts by name, so the name identifies a rule here (a rename is a delete and a create).
 * Upsert replaces the whole rule: a write sends the file's fields over what the app has.
 */
export const moderationRuleKind = defineKind({
  kind: 'moderation_rule',
  section: 'moderation_rules',
  schema: z
    .array(moderationRuleSchema)
    .describe('Moderation rules, one per item (addressed `moderation_rule/<name>`, or `moderation_rule/<team>/<name>` for a team); undeclared ones are deleted only when `policy.prune` lists this section.'),
  identityFields: ['team', 'name'],
  address: (fields) => ruleAddress(fields.name, fields.team),
  // Rules apply under configs: the configs exist first, and a rule lets go of one before it is deleted.
  dependsOn: ['moderation_config'],
  releases: ['moderation_config'],
  // A rule's config keys name configs of its own team.
  refs: (fields) => ((fields.config_keys as string[] | undefined) ?? []).map((k) => configAddress(k, fields.team)),
  refsAt: (fields) => ((fields.config_keys as string[] | undefined) ?? []).map((k, i) => ({ ref: configAddress(k, fields.team), path: ['config_keys', String(i)] })),
  // Compared whole (conditions and groups without order): an action's options belong to its type, a condition's
  // parameters to the condition.
  setFields: ['/config_keys', '/action', '/conditions', '/groups', '/action_sequences'],
  entries: (items) => (items as Rec[]).map((fields, i) => ({ kind: 'moderation_rule', fields: exclusive(fields), path: ['moderation_rules', i] })),
  async fetch(api) {
    const rules = await paginate<{ rules?: Rec[]; next?: string }>(
      api,
      (next) => ({ op: 'query_moderation_rules', method: 'POST', path: '/api/v2/moderation/moderation_rules', body: next ? { limit: MODERATION_PAGE, next } : { limit: MODERATION_PAGE }, idempotent: true }),
      (res) => ({ items: res.rules ?? [], next: res.next }),
    );
    return rules.map(moderationRuleLive);
  },
  requests({ action, desired, live }) {
    if (action === 'delete') return [{ op: 'delete_moderation_rule', method: 'DELETE', path: '/api/v2/moderation/moderation_rule/{id}', params: { id: String(live!.fields[RULE_ID]) }, idempotent: true }];
    const { [RULE_ID]: _id, ...have } = live?.fields ?? {};
    // Upsert replaces the rule: the file's fields over the app's, each whole.
    const body = action === 'create' ? desired!.fields : { ...have, ...desired!.fields };
    return [{ op: 'upsert_moderation_rule', method: 'POST', path: '/api/v2/moderation/moderation_rule', body, idempotent: true }];
  },
  toFile: ({ fields: { [RULE_ID]: _id, ...fields } }) => fields,
});
