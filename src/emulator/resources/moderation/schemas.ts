import { z } from 'zod';

/**
 * Request shapes of the moderation spec (`moderation-serverside-api.json`) that the emulator holds requests to: the
 * enums (actions, severities, ban deletions), the required fields and the numeric bounds. Objects drop fields the spec
 * does not define, as Stream's decoder does; condition parameters (thirty `*_params` shapes) are kept as sent.
 */

const FILTER_ACTIONS = ['flag', 'shadow', 'remove', 'bounce', 'bounce_flag', 'bounce_remove'] as const;
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const RULE_ACTION_TYPES = [
  'ban_user', 'flag_user', 'flag_content', 'block_content', 'shadow_content', 'bounce_flag_content', 'bounce_content',
  'bounce_remove_content', 'mute_video', 'mute_audio', 'blur', 'call_blur', 'end_call', 'kick_user', 'warning',
  'call_warning', 'webhook_only',
] as const;

const bool = z.boolean().optional();
const str = z.string().optional();
const int = z.number().int().optional();
const strings = z.array(z.string()).optional();
const loose = z.record(z.string(), z.unknown());

const severityRule = z.object({ severity: z.enum(SEVERITIES), action: z.enum(['keep', 'flag', 'mask', 'shadow', 'remove', 'bounce', 'bounce_flag', 'bounce_remove']) });
const bodyguardRule = z.object({
  label: z.string().min(1),
  action: z.enum(['keep', 'flag', 'mask', 'mask_flag', 'shadow', 'remove', 'bounce', 'bounce_flag', 'bounce_remove']).optional(),
  severity_rules: z.array(severityRule).optional(),
});
const labelRule = { label: z.string().min(1), action: z.enum(FILTER_ACTIONS) };
const rekognitionRule = z.object({ ...labelRule, min_confidence: z.number().min(0).max(100), subclassifications: z.record(z.string(), z.boolean()).optional() });
const automodRule = z.object({ ...labelRule, threshold: z.number().min(0).max(1) });

const aiText = z.object({ async: bool, enabled: bool, profile: str, rules: z.array(bodyguardRule).optional(), severity_rules: z.array(severityRule).optional() });
const aiImage = z.object({ async: bool, enabled: bool, rules: z.array(rekognitionRule).optional(), ocr_rules: z.array(z.object(labelRule)).optional() });
const automod = z.object({ async: bool, enabled: bool, rules: z.array(automodRule).optional() });

export const blockListRuleSchema = z.object({
  // The spec leaves `name` optional; a rule that names no block list checks nothing, so the emulator requires it.
  name: z.string().min(1),
  team: str,
  action: z.enum(['flag', 'mask', 'mask_flag', 'shadow', 'remove', 'bounce', 'bounce_flag', 'bounce_remove']),
});

const velocityAction = z.enum(['flag', 'shadow', 'remove', 'ban']);
const velocityRule = z.object({
  action: velocityAction,
  cascading_action: velocityAction.optional(),
  ban_duration: int, cascading_threshold: int, check_message_context: bool, fast_spam_threshold: int, fast_spam_ttl: int,
  ip_ban: bool, probation_period: int, shadow_ban: bool, slow_spam_ban_duration: int, slow_spam_threshold: int,
  slow_spam_ttl: int, url_only: bool,
});

const floodRule = { action: str, enabled: bool, threshold: int, time_window: str };

const callOptions = z.object({ duration: int, flag_reason: str, kick_reason: str, mute_audio: bool, mute_video: bool, reason: str, warning_text: str });
export const ruleActionSchema = z.object({
  type: z.enum(RULE_ACTION_TYPES).optional(),
  reason: str,
  skip_inbox: bool,
  ban_options: z.object({ delete_messages: z.enum(['soft', 'pruning', 'hard']).optional(), duration: int, ip_ban: bool, reason: str, shadow_ban: bool }).optional(),
  call_options: callOptions.optional(),
  flag_user_options: z.object({ reason: str }).optional(),
});
export const actionSequencesSchema = z.array(z.object({ actions: strings, call_options: callOptions.optional(), violation_number: int }));
export const conditionsSchema = z.array(loose);
export const groupsSchema = z.array(z.object({ logic: str, conditions: conditionsSchema.optional() }));

const ruleBuilderRule = z.object({
  rule_type: z.string().min(1),
  id: str,
  logic: str,
  cooldown_period: str,
  action: ruleActionSchema.optional(),
  action_sequences: actionSequencesSchema.optional(),
  conditions: conditionsSchema.optional(),
  groups: groupsSchema.optional(),
});

const actionSequence = z.object({ action: str, blur: bool, cooldown_period: int, threshold: int, time_window: int, warning: bool, warning_text: str });

/** The config sections UpsertConfig accepts, by request field. */
export const configSections = {
  ai_text_config: aiText,
  bodyguard_config: aiText,
  ai_image_config: aiImage,
  aws_rekognition_config: aiImage,
  ai_video_config: z.object({ async: bool, enabled: bool, rules: z.array(rekognitionRule).optional() }),
  ai_audio_config: z.object({ profile: str, rules: z.array(bodyguardRule).optional() }),
  automod_toxicity_config: automod,
  automod_platform_circumvention_config: automod,
  automod_semantic_filters_config: z.object({
    async: bool,
    enabled: bool,
    rules: z.array(z.object({ name: z.string().min(1), action: z.enum(FILTER_ACTIONS), threshold: z.number().min(0).max(1) })).optional(),
  }),
  block_list_config: z.object({ async: bool, enabled: bool, match_substring: bool, rules: z.array(blockListRuleSchema).optional() }),
  google_vision_config: z.object({ enabled: bool }),
  flood_config: z.object({
    allowlist: strings,
    identical: z.object(floodRule).optional(),
    similar: z.object({ ...floodRule, similarity_distance: int }).optional(),
  }),
  velocity_filter_config: z.object({
    advanced_filters: bool, async: bool, cascading_actions: bool, cids_per_user: int, enabled: bool, first_message_only: bool,
    rules: z.array(velocityRule).optional(),
  }),
  llm_config: z.object({
    app_context: str,
    async: bool,
    enabled: bool,
    severity_descriptions: z.record(z.string(), z.string()).optional(),
    rules: z.array(z.object({ label: z.string().min(1), description: str, action: z.enum([...FILTER_ACTIONS, 'keep']).optional(), severity_rules: z.array(severityRule).optional() })).optional(),
  }),
  rule_builder_config: z.object({ async: bool, rules: z.array(ruleBuilderRule).optional() }),
  video_call_rule_config: z.object({
    flag_all_labels: bool,
    flagged_labels: strings,
    rules: z.array(z.object({ action_sequences: z.array(actionSequence).optional(), cooldown_period: int, harm_types: strings, severity: int, threshold: int })).optional(),
  }),
} as const;
