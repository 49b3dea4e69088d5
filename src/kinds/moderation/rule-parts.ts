import { z } from 'zod';

/**
 * The parts of a moderation rule that configs' rule-builder rules share: its action, conditions, groups of
 * conditions and escalation steps (the moderation spec's RuleBuilderAction, RuleBuilderCondition,
 * RuleBuilderConditionGroup and CallRuleActionSequence).
 */

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

export const ruleAction = z
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
export const condition = z
  .object({
    type: z.string().min(1).describe('The condition type (e.g. text_rule, user_flag_count, content_count).'),
    confidence: z.number().min(0).max(1).optional().describe('The confidence (0 to 1) from which the condition holds.'),
  })
  .catchall(z.record(z.string(), z.unknown()));

/** An escalation step of a call rule: the actions at a violation number. */
export const callRuleActionSequence = z
  .object({
    violation_number: z.number().int().min(1).optional().describe('The violation (1st, 2nd, …) this step applies to.'),
    actions: z.array(z.string().min(1)).optional().describe('The actions taken at that violation (e.g. call_warning, kick_user, end_call).'),
    call_options: callOptions.optional().describe('How the call actions act.'),
  })
  .strict();

/** Conditions combined by one logic. */
export const conditionGroup = z
  .object({
    logic: z.enum(['AND', 'OR']).optional().describe('How the group\'s conditions combine.'),
    conditions: z.array(condition).optional().describe('The group\'s conditions.'),
  })
  .strict();
