import { z } from 'zod';
import type { LiveObject, Rec } from '../../core/model.js';
import { addressPart, defineKind, liveObject, noDuplicates, overlay, paginate, pick } from '../define.js';
import { MODERATION_PAGE } from './configs.js';

const ACTION_TYPES = [
  'ban_user', 'flag_user', 'flag_content', 'block_content', 'shadow_content', 'bounce_flag_content', 'bounce_content', 'bounce_remove_content',
  'mute_video', 'mute_audio', 'blur', 'call_blur', 'end_call', 'kick_user', 'warning', 'call_warning', 'webhook_only',
] as const;

const callOptions = z
  .object({
    duration: z.number().int().min(0).optional().describe('How long the action lasts, in seconds.'),
    flag_reason: z.string().optional().describe('The reason a flag carries.'),
    kick_reason: z.string().optional().describe('The reason a kick carries.'),
    mute_audio: z.boolean().optional().describe('Whether the user\'s audio is muted.'),
    mute_video: z.boolean().optional().describe('Whether the user\'s video is muted.'),
    reason: z.string().optional().describe('The reason shown.'),
    warning_text: z.string().optional().describe('The warning shown to the user.'),
  })
  .strict();

const ruleAction = z
  .object({
    type: z.enum(ACTION_TYPES).describe('What the rule does: ban_user, flag_user, flag_content, block_content, shadow_content, bounce_*, warning, webhook_only, or a call action.'),
    reason: z.string().optional().describe('The reason recorded with the action (reviewers and users see it).'),
    skip_inbox: z.boolean().optional().describe('Whether the action skips the moderation review queue.'),
    ban_options: z
      .object({
        duration: z.number().int().min(0).optional().describe('How long the ban lasts, in minutes (absent: for good).'),
        reason: z.string().optional().describe('The ban\'s reason.'),
        shadow_ban: z.boolean().optional().describe('Whether the ban is a shadow ban (the user is not told).'),
        ip_ban: z.boolean().optional().describe('Whether the user\'s IP address is banned too.'),
        delete_messages: z.enum(['soft', 'pruning', 'hard']).optional().describe('Whether and how the user\'s messages are deleted: soft, pruning or hard.'),
      })
      .strict()
      .optional()
      .describe('How a ban_user action bans.'),
    flag_user_options: z.object({ reason: z.string().optional().describe('The flag\'s reason.') }).strict().optional().describe('How a flag_user action flags.'),
    call_options: callOptions.optional().describe('How a call action (mute, kick, end, warning) acts.'),
  })
  .strict();

/** A condition: its type, an optional confidence, and the parameters object its type takes (`text_rule_params`, …). */
const condition = z
  .object({
    type: z.string().min(1).describe('The condition type (e.g. text_rule, user_flag_count, content_count).'),
    confidence: z.number().min(0).max(1).optional().describe('The confidence (0 to 1) from which the condition holds.'),
  })
  .catchall(z.record(z.string(), z.unknown()));

export const moderationRuleSchema = z
  .object({
    name: addressPart('a moderation rule name', 255).describe('Identity: the rule\'s unique name (`moderation_rule/<name>`); the API\'s id is looked up by it.'),
    rule_type: z.enum(['user', 'content', 'call', 'flood']).describe('What the rule judges: user (a user\'s history), content (a message), call, or flood.'),
    description: z.string().optional().describe('What the rule is for, for reviewers.'),
    enabled: z.boolean().optional().describe('Whether the rule is in force (default true).'),
    team: z.string().optional().describe('The team the rule belongs to (multi-tenant apps); fixed once created.'),
    config_keys: z.array(z.string().min(1)).superRefine(noDuplicates('config_keys')).optional().describe('The moderation configs (keys) the rule applies under (a set; each names a moderation_configs key).'),
    logic: z.enum(['AND', 'OR']).optional().describe('How conditions (or groups) combine: AND or OR.'),
    conditions: z.array(condition).optional().describe('The conditions (type, confidence and the type\'s parameters), combined by logic.'),
    groups: z
      .array(
        z
          .object({
            logic: z.enum(['AND', 'OR']).optional().describe('How the group\'s conditions combine.'),
            conditions: z.array(condition).optional().describe('The group\'s conditions.'),
          })
          .strict(),
      )
      .optional()
      .describe('Groups of conditions, each combined by its own logic, the groups by the rule\'s.'),
    action: ruleAction.optional().describe('What happens when the rule matches.'),
    action_sequences: z.array(z.record(z.string(), z.unknown())).optional().describe('Escalating actions by violation number (call rules), as the API takes them.'),
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

const address = (name: unknown) => `moderation_rule/${String(name)}`;

/** A ModerationRuleV2Response in the file's shape, with its id kept aside for deletes. */
export function moderationRuleLive(r: Rec): LiveObject {
  const fields = pick(r, FIELDS);
  if (!fields.team) delete fields.team;
  fields[RULE_ID] = r.id;
  return liveObject('moderation_rule', address(r.name), fields);
}

/**
 * Moderation rules (`moderation_rule/<name>`): conditions → action, under the configs they name. Stream assigns
 * each rule an id but upserts by name, so the name identifies a rule here (a rename is a delete and a create).
 * Upsert replaces the whole rule: a write sends the file's fields over what the app has.
 */
export const moderationRuleKind = defineKind({
  kind: 'moderation_rule',
  section: 'moderation_rules',
  schema: z.array(moderationRuleSchema),
  identityFields: ['name'],
  immutableFields: ['/team'],
  // Rules apply under configs: the configs exist first, and a rule lets go of one before it is deleted.
  dependsOn: ['moderation_config'],
  releases: ['moderation_config'],
  refs: (fields) => ((fields.config_keys as string[] | undefined) ?? []).map((k) => `moderation_config/${k}`),
  refsAt: (fields) => ((fields.config_keys as string[] | undefined) ?? []).map((k, i) => ({ ref: `moderation_config/${k}`, path: ['config_keys', String(i)] })),
  setFields: ['/config_keys'],
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
    const body = action === 'create' ? desired!.fields : (overlay(have, desired!.fields) as Rec);
    return [{ op: 'upsert_moderation_rule', method: 'POST', path: '/api/v2/moderation/moderation_rule', body, idempotent: true }];
  },
  toFile: ({ fields: { [RULE_ID]: _id, ...fields } }) => fields,
});
