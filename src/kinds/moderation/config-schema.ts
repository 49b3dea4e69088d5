import { z } from 'zod';
import { addressPart } from '../define.js';
import { callRuleActionSequence, condition, conditionGroup, ruleAction } from './rule-parts.js';

/**
 * A moderation config in the file: the sections of Stream's UpsertConfig (moderation spec v236), by their API
 * names. Every section is optional and only what the file declares is managed; lists of rules that carry a
 * label (or a block list's name) are compared rule by rule (see KEYED_RULES).
 */

const ACTIONS = ['flag', 'shadow', 'remove', 'bounce', 'bounce_flag', 'bounce_remove'] as const;
const ACTION_HELP = 'flag (for review), shadow (only the sender sees it), remove, bounce (sender asked to rephrase), bounce_flag or bounce_remove';
const action = (extra: readonly string[] = []) => z.enum([...ACTIONS, ...extra] as [string, ...string[]]);
const score = (what: string) => z.number().min(0).max(1).describe(what);
const enabled = z.boolean().optional().describe('Whether this check runs.');
const async = z.boolean().optional().describe('Whether the check runs after the message is sent (async) instead of before it is delivered.');

/** Items of a list keyed by `field` appear once each (two rules for one label would compare as one). */
const uniqueBy = (field: string) => (items: readonly Record<string, unknown>[], ctx: z.RefinementCtx) => {
  const seen = new Set<unknown>();
  items.forEach((item, i) => {
    if (seen.has(item[field])) ctx.addIssue({ code: 'custom', message: `two rules for ${field} "${String(item[field])}": declare each ${field} once`, path: [i, field] });
    seen.add(item[field]);
  });
};
const rulesBy = <T extends z.ZodType<Record<string, unknown>>>(item: T, field: string, what: string) => z.array(item).superRefine(uniqueBy(field)).optional().describe(what);

const severityRule = z
  .object({
    severity: z.enum(['low', 'medium', 'high', 'critical']).describe('The severity the action applies to: low, medium, high or critical.'),
    action: action(['keep', 'mask']).describe(`What happens at that severity: keep, mask, ${ACTION_HELP}.`),
  })
  .strict();

const labelRule = z
  .object({
    label: z.string().min(1).describe('The label the AI engine reports (e.g. SEXUAL_HARASSMENT, SPAM); identifies the rule.'),
    action: action(['keep', 'mask', 'mask_flag']).optional().describe(`What happens to a message with this label: keep, mask, mask_flag, ${ACTION_HELP}.`),
    severity_rules: z.array(severityRule).optional().describe('An action per severity of the label, instead of one action.'),
  })
  .strict();

const textConfig = z
  .object({
    enabled,
    async,
    profile: z.string().optional().describe('The engine profile the text is judged with (e.g. a Bodyguard profile).'),
    rules: rulesBy(labelRule, 'label', 'The action per label, compared label by label.'),
    severity_rules: z.array(severityRule).optional().describe('Actions per severity for every label not listed in rules.'),
  })
  .strict();

const imageRule = z
  .object({
    label: z.string().min(1).describe('The image label (e.g. Explicit Nudity, Violence); identifies the rule.'),
    min_confidence: z.number().min(0).max(100).describe('The confidence (0–100) from which the action applies.'),
    action: action().describe(`What happens to an image with this label: ${ACTION_HELP}.`),
    subclassifications: z.record(z.string(), z.boolean()).optional().describe('Sub-labels the rule is limited to (label → true).'),
  })
  .strict();

const ocrRule = z
  .object({
    label: z.string().min(1).describe('The label of text found in an image; identifies the rule.'),
    action: action().describe(`What happens to the image: ${ACTION_HELP}.`),
  })
  .strict();

const imageConfig = z
  .object({
    enabled,
    async,
    rules: rulesBy(imageRule, 'label', 'The action per image label, compared label by label.'),
    ocr_rules: rulesBy(ocrRule, 'label', 'The action per label of text found in images, compared label by label.'),
  })
  .strict();

const thresholdRule = z
  .object({
    label: z.string().min(1).describe('The label scored (e.g. toxic, insult, threat); identifies the rule.'),
    threshold: score('The score (0 to 1) from which the action applies.'),
    action: action().describe(`What happens above the threshold: ${ACTION_HELP}.`),
  })
  .strict();

const thresholdConfig = z
  .object({ enabled, async, rules: rulesBy(thresholdRule, 'label', 'A threshold and action per label, compared label by label.') })
  .strict();

const semanticRule = z
  .object({
    name: z.string().min(1).describe('The semantic filter (a phrase list of the app); identifies the rule.'),
    threshold: score('The similarity (0 to 1) from which the action applies.'),
    action: action().describe(`What happens to a similar message: ${ACTION_HELP}.`),
  })
  .strict();

const llmRule = z
  .object({
    label: z.string().min(1).describe('The label the LLM judges (yours or a default one); identifies the rule.'),
    description: z.string().optional().describe('What the label means, as the LLM is told.'),
    action: action(['keep']).optional().describe(`What happens to a message with this label: keep or ${ACTION_HELP}.`),
    severity_rules: z.array(severityRule).optional().describe('An action per severity of the label.'),
  })
  .strict();

const velocityRule = z
  .object({
    action: z.enum(['flag', 'shadow', 'remove', 'ban']).describe('What happens to a user who posts too fast: flag, shadow, remove or ban.'),
    ban_duration: z.number().int().min(0).optional().describe('How long a ban lasts, in minutes.'),
    cascading_action: z.enum(['flag', 'shadow', 'remove', 'ban']).optional().describe('The harsher action after cascading_threshold repeats.'),
    cascading_threshold: z.number().int().min(0).optional().describe('How many repeats lead to the cascading action.'),
    check_message_context: z.boolean().optional().describe('Whether the message\'s context is checked too.'),
    fast_spam_threshold: z.number().int().min(0).optional().describe('Messages within fast_spam_ttl that count as fast spam.'),
    fast_spam_ttl: z.number().int().min(0).optional().describe('The fast-spam window, in seconds.'),
    ip_ban: z.boolean().optional().describe('Whether the ban covers the user\'s IP address.'),
    probation_period: z.number().int().min(0).optional().describe('How long new users are watched more closely, in seconds.'),
    shadow_ban: z.boolean().optional().describe('Whether the ban is a shadow ban.'),
    slow_spam_ban_duration: z.number().int().min(0).optional().describe('How long a slow-spam ban lasts, in minutes.'),
    slow_spam_threshold: z.number().int().min(0).optional().describe('Messages within slow_spam_ttl that count as slow spam.'),
    slow_spam_ttl: z.number().int().min(0).optional().describe('The slow-spam window, in seconds.'),
    url_only: z.boolean().optional().describe('Whether only messages with links count.'),
  })
  .strict();

const flood = (extra: z.ZodRawShape) =>
  z
    .object({
      enabled: z.boolean().optional().describe('Whether this flood check runs.'),
      action: z.string().optional().describe('What happens to a flooding user (e.g. flag, shadow, remove).'),
      threshold: z.number().int().min(0).optional().describe('How many messages within time_window are a flood.'),
      time_window: z.string().optional().describe('The window, as a duration such as "60s".'),
      ...extra,
    })
    .strict();

const harmConfig = z
  .object({
    harm_types: z.array(z.string().min(1)).optional().describe('The harm types this rule acts on.'),
    severity: z.number().int().optional().describe('The severity from which it acts.'),
    threshold: z.number().int().optional().describe('How many detections lead to the actions.'),
    cooldown_period: z.number().int().optional().describe('Seconds before the rule acts again on the same call.'),
    action_sequences: z
      .array(
        z
          .object({
            action: z.string().optional().describe('The action taken (e.g. mute, kick, end).'),
            blur: z.boolean().optional().describe('Whether the video is blurred.'),
            cooldown_period: z.number().int().optional().describe('Seconds before the step acts again.'),
            threshold: z.number().int().optional().describe('How many detections lead to this step.'),
            time_window: z.number().int().optional().describe('The window the detections count in, in seconds.'),
            warning: z.boolean().optional().describe('Whether the user is warned.'),
            warning_text: z.string().optional().describe('The warning shown.'),
          })
          .strict(),
      )
      .optional()
      .describe('The escalating steps of the rule.'),
  })
  .strict();

export const moderationConfigSchema = z
  .object({
    key: addressPart('a moderation config key', 255).describe('Identity: the config\'s key (`moderation_config/<key>`), e.g. chat:messaging for a channel type or a key of your own.'),
    team: addressPart('a team', 255).optional().describe('Identity with the key: the team the config belongs to (multi-tenant apps), addressed `moderation_config/<team>/<key>`.'),
    async: z.boolean().optional().describe('Whether moderation runs after delivery for every check of this config.'),
    block_list_config: z
      .object({
        enabled,
        async,
        match_substring: z.boolean().optional().describe('Whether a block-list word matches inside longer words.'),
        rules: rulesBy(
          z
            .object({
              name: z.string().min(1).describe('The block list (a `blocklists` name); identifies the rule.'),
              action: z.enum(['flag', 'mask', 'mask_flag', 'shadow', 'remove', 'bounce', 'bounce_flag', 'bounce_remove']).describe(`What happens to a matching message: mask, mask_flag, ${ACTION_HELP}.`),
              team: z.string().optional().describe('The team of the block list, when lists are per team.'),
            })
            .strict(),
          'name',
          'The action per block list, compared list by list; each names a block list of the app.',
        ),
      })
      .strict()
      .optional()
      .describe('Block lists the messages are checked against, with an action per list.'),
    ai_text_config: textConfig.optional().describe('AI text moderation: an action per harm label.'),
    bodyguard_config: textConfig.optional().describe('Bodyguard text moderation: an action per label.'),
    ai_image_config: imageConfig.optional().describe('AI image moderation: an action per image label.'),
    aws_rekognition_config: imageConfig.optional().describe('AWS Rekognition image moderation: an action per label.'),
    ai_video_config: z
      .object({ enabled, async, rules: rulesBy(imageRule, 'label', 'The action per video label, compared label by label.') })
      .strict()
      .optional()
      .describe('AI video moderation: an action per label.'),
    ai_audio_config: z
      .object({
        profile: z.string().optional().describe('The engine profile audio is judged with.'),
        rules: rulesBy(labelRule, 'label', 'The action per label, compared label by label.'),
      })
      .strict()
      .optional()
      .describe('AI moderation of audio (transcribed).'),
    automod_toxicity_config: thresholdConfig.optional().describe('Automod toxicity: a score threshold and action per label.'),
    automod_platform_circumvention_config: thresholdConfig.optional().describe('Automod platform circumvention (users steering others off the app): a threshold and action per label.'),
    automod_semantic_filters_config: z
      .object({ enabled, async, rules: rulesBy(semanticRule, 'name', 'A similarity threshold and action per semantic filter, compared filter by filter.') })
      .strict()
      .optional()
      .describe('Semantic filters: messages similar to phrase lists.'),
    llm_config: z
      .object({
        enabled,
        async,
        app_context: z.string().optional().describe('What the app is, as the LLM is told (it judges messages in that context).'),
        rules: rulesBy(llmRule, 'label', 'The action per LLM label, compared label by label.'),
        severity_descriptions: z.record(z.string(), z.string()).optional().describe('What each severity means, as the LLM is told.'),
      })
      .strict()
      .optional()
      .describe('LLM moderation with labels and severities of your own.'),
    velocity_filter_config: z
      .object({
        enabled,
        async,
        advanced_filters: z.boolean().optional().describe('Whether the advanced spam heuristics run.'),
        cascading_actions: z.boolean().optional().describe('Whether repeated offences escalate (cascading_action).'),
        cids_per_user: z.number().int().min(0).optional().describe('How many channels a user may post to within the window.'),
        first_message_only: z.boolean().optional().describe('Whether only a user\'s first message is checked.'),
        rules: z.array(velocityRule).optional().describe('The velocity rules (managed as a whole list).'),
      })
      .strict()
      .optional()
      .describe('Velocity filters: users who post too fast or across too many channels.'),
    flood_config: z
      .object({
        allowlist: z.array(z.string()).optional().describe('Users (ids) the flood checks never act on.'),
        identical: flood({}).optional().describe('Floods of identical messages.'),
        similar: flood({ similarity_distance: z.number().int().min(0).optional().describe('How different messages may be and still count as similar.') }).optional().describe('Floods of similar messages.'),
      })
      .strict()
      .optional()
      .describe('Flood checks: identical or similar messages in a burst.'),
    google_vision_config: z.object({ enabled }).strict().optional().describe('Google Vision image moderation.'),
    video_call_rule_config: z
      .object({
        flag_all_labels: z.boolean().optional().describe('Whether every detected label is flagged.'),
        flagged_labels: z.array(z.string()).optional().describe('The labels that are flagged.'),
        rules: z.array(harmConfig).optional().describe('Rules for harms detected in calls (managed as a whole list).'),
      })
      .strict()
      .optional()
      .describe('Moderation of video calls.'),
    rule_builder_config: z
      .object({
        async,
        rules: z
          .array(
            z
              .object({
                rule_type: z.string().min(1).describe('What the rule judges (user, content, call, flood).'),
                id: z.string().optional().describe('The rule\'s id within the config.'),
                logic: z.enum(['AND', 'OR']).optional().describe('How conditions (or groups) combine.'),
                conditions: z.array(condition).optional().describe('The conditions.'),
                groups: z.array(conditionGroup).optional().describe('Groups of conditions.'),
                action: ruleAction.optional().describe('What happens when the rule matches.'),
                action_sequences: z.array(callRuleActionSequence).optional().describe('Escalating actions by violation number.'),
                cooldown_period: z.string().optional().describe('How long before the rule acts again, e.g. "24h".'),
              })
              .strict(),
          )
          .optional()
          .describe('Rule-builder rules kept in the config (prefer moderation_rules).'),
      })
      .strict()
      .optional()
      .describe('Rules of the rule builder kept in the config itself.'),
  })
  .strict()
  .describe('A Stream moderation config: what checks run on content under this key, and the action per label, threshold or block list.');

/** The sections' rule lists compared rule by rule, and the field that identifies a rule in each. */
export const KEYED_RULES: Readonly<Record<string, string>> = {
  '/block_list_config/rules': 'name',
  '/ai_text_config/rules': 'label',
  '/bodyguard_config/rules': 'label',
  '/ai_image_config/rules': 'label',
  '/ai_image_config/ocr_rules': 'label',
  '/aws_rekognition_config/rules': 'label',
  '/ai_video_config/rules': 'label',
  '/ai_audio_config/rules': 'label',
  '/automod_toxicity_config/rules': 'label',
  '/automod_platform_circumvention_config/rules': 'label',
  '/automod_semantic_filters_config/rules': 'name',
  '/llm_config/rules': 'label',
};

/** The file fields, in the schema's order; and each section's own keys (what a request may carry of it). */
export const CONFIG_FIELDS = Object.keys(moderationConfigSchema.shape);
export const SECTION_KEYS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(moderationConfigSchema.shape).flatMap(([k, v]) => {
    const inner = (v as z.ZodType & { unwrap?: () => unknown }).unwrap?.() ?? v;
    return inner instanceof z.ZodObject ? [[k, Object.keys(inner.shape)]] : [];
  }),
);
