/**
 * The label catalogues the moderation API answers beside configs and rules. The spec requires these fields but does
 * not list their values; the emulator's lists are a plausible, fixed subset (Stream's dashboard shows the real
 * ones), the same for every app.
 */

/** `supported_video_call_harm_types` of every ConfigResponse. */
export const VIDEO_CALL_HARM_TYPES = ['explicit', 'violence', 'weapons', 'hate', 'self_harm', 'drugs'];

const IMAGE_LABELS: [key: string, label: string, description: string, group: string, subclassifications: string[]][] = [
  ['explicit', 'Explicit', 'Explicit nudity and sexual activity', 'nsfw', ['Exposed Male Genitalia', 'Exposed Female Genitalia', 'Explicit Sexual Activity']],
  ['non_explicit_nudity', 'Non-Explicit Nudity', 'Partial nudity and intimate content', 'nsfw', ['Bare Back', 'Partially Exposed Buttocks']],
  ['violence', 'Violence', 'Weapons, fighting and graphic violence', 'violence', ['Weapon Violence', 'Physical Violence']],
  ['visually_disturbing', 'Visually Disturbing', 'Gore, corpses and emaciated bodies', 'violence', ['Blood & Gore', 'Corpses']],
  ['drugs_tobacco_alcohol', 'Drugs & Tobacco & Alcohol', 'Drug use, tobacco and alcohol', 'substances', ['Drug Products', 'Smoking', 'Drinking']],
  ['hate_symbols', 'Hate Symbols', 'Extremist and hate symbols', 'hate', ['Nazi Party', 'White Supremacy']],
];

export const AI_IMAGE_LABEL_DEFINITIONS = IMAGE_LABELS.map(([key, label, description, group]) => ({ key, label, description, group }));
export const AI_IMAGE_SUBCLASSIFICATIONS = Object.fromEntries(IMAGE_LABELS.map(([key, , , , subs]) => [key, subs]));

/** The label fields of QueryModerationRulesResponse. */
export const RULE_LABELS = {
  default_llm_labels: {
    SCAM: 'Attempts to defraud users or obtain money or credentials under false pretences',
    HARASSMENT: 'Insults, threats or repeated unwanted contact aimed at a person',
    HATE_SPEECH: 'Attacks on people for a protected characteristic',
    SELF_HARM: 'Encouragement or instructions for self-harm or suicide',
    SEXUAL_CONTENT: 'Sexually explicit language or solicitation',
    SPAM: 'Unsolicited promotion or repeated off-topic content',
  },
  default_username_llm_labels: {
    OFFENSIVE_USERNAME: 'A username containing slurs, profanity or sexual content',
    IMPERSONATION: 'A username impersonating staff, moderators or a brand',
  },
  keyframe_labels: ['explicit', 'non_explicit_nudity', 'violence', 'visually_disturbing', 'drugs_tobacco_alcohol', 'hate_symbols'],
  keyframe_label_classifications: AI_IMAGE_SUBCLASSIFICATIONS,
  closed_caption_labels: ['HARASSMENT', 'HATE_SPEECH', 'SEXUAL_CONTENT', 'SELF_HARM', 'THREAT'],
  ocr_labels: ['SCAM', 'HARASSMENT', 'HATE_SPEECH', 'SEXUAL_CONTENT', 'SPAM'],
  ai_image_label_definitions: AI_IMAGE_LABEL_DEFINITIONS,
  ai_image_subclassifications: AI_IMAGE_SUBCLASSIFICATIONS,
};
