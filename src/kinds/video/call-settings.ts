import { z } from 'zod';

/**
 * A call type's `settings` and `notification_settings`, as CreateCallType/UpdateCallType take them (the spec's
 * CallSettingsRequest and NotificationSettingsRequest, v236). Every block is optional and only the fields a block
 * declares are managed. The spec requires some fields whenever a block is sent (`audio.default_device`,
 * `recording.mode`, …): on an update stream-sync sends the block over what the app has, so they are there; on a
 * create they must be declared, which the plan says (see REQUIRED).
 */

const mode = z.enum(['available', 'disabled', 'auto-on']);
const quality = z.enum(['360p', '480p', '720p', '1080p', '1440p']);
const broadcastQuality = z.enum([...quality.options, 'portrait-360x640', 'portrait-480x854', 'portrait-720x1280', 'portrait-1080x1920', 'portrait-1440x2560']);
const int = (min?: number, max?: number) => {
  let n = z.number().int();
  if (min !== undefined) n = n.min(min);
  if (max !== undefined) n = n.max(max);
  return n;
};
const strings = z.array(z.string());
const block = <T extends z.ZodRawShape>(shape: T) => z.object(shape).partial().strict();

const layout = block({
  name: z.enum(['spotlight', 'grid', 'single-participant', 'mobile', 'custom']),
  detect_orientation: z.boolean(),
  external_app_url: z.string(),
  external_css_url: z.string(),
  options: z.record(z.string(), z.unknown()),
});
const targetResolution = block({ width: int(240, 3840), height: int(240, 3840), bitrate: int(undefined, 6_000_000) });

const callSettingsBlocks = {
  audio: block({
    access_request_enabled: z.boolean(),
    default_device: z.enum(['speaker', 'earpiece']),
    hifi_audio_enabled: z.boolean(),
    mic_default_on: z.boolean(),
    noise_cancellation: block({ mode }),
    opus_dtx_enabled: z.boolean(),
    redundant_coding_enabled: z.boolean(),
    speaker_default_on: z.boolean(),
  }),
  backstage: block({ enabled: z.boolean(), join_ahead_time_seconds: int(0) }),
  broadcasting: block({
    enabled: z.boolean(),
    hls: block({ auto_on: z.boolean(), enabled: z.boolean(), layout, quality_tracks: strings }),
    rtmp: block({ enabled: z.boolean(), layout, quality: broadcastQuality }),
  }),
  encryption: block({ mode }),
  frame_recording: block({ mode, capture_interval_in_seconds: int(2, 60), quality }),
  geofencing: block({ names: strings }),
  individual_recording: block({ mode, output_types: strings }),
  ingress: block({
    enabled: z.boolean(),
    audio_encoding_options: block({ bitrate: int(16_000, 128_000), channels: z.union([z.literal(1), z.literal(2)]), enable_dtx: z.boolean() }),
    video_encoding_options: z.record(
      z.string(),
      block({
        source: block({ width: int(2), height: int(2), fps: z.union([z.literal(30), z.literal(60)]) }),
        layers: z.array(block({ codec: z.enum(['h264', 'vp8']), bitrate: int(1000), min_dimension: int(240), max_dimension: int(240), frame_rate_limit: int(1, 60) })),
      }),
    ),
  }),
  limits: block({ max_duration_seconds: int(0), max_participants: int(0), max_participants_exclude_owner: z.boolean(), max_participants_exclude_roles: strings }),
  raw_recording: block({ mode, audio_only: z.boolean() }),
  recording: block({ mode, audio_only: z.boolean(), layout, quality: broadcastQuality }),
  ring: block({ auto_cancel_timeout_ms: int(5_000, 180_000), incoming_call_timeout_ms: int(5_000, 180_000), missed_call_timeout_ms: int(5_000, 180_000) }),
  screensharing: block({ access_request_enabled: z.boolean(), enabled: z.boolean(), target_resolution: targetResolution }),
  session: block({ inactivity_timeout_seconds: int(5, 900) }),
  thumbnails: block({ enabled: z.boolean() }),
  transcription: block({
    mode,
    closed_caption_mode: mode,
    language: z.enum(['auto', 'en', 'fr', 'es', 'de', 'it', 'nl', 'pt', 'pl', 'ca', 'cs', 'da', 'el', 'fi', 'id', 'ja', 'ru', 'sv', 'ta', 'th', 'tr', 'hu', 'ro', 'zh', 'ar', 'tl', 'he', 'hi', 'hr', 'ko', 'ms', 'no', 'uk', 'bg', 'et', 'sl', 'sk']),
    speech_segment_config: block({ max_speech_caption_ms: int(0), silence_duration_ms: int(0) }),
    translation: block({ enabled: z.boolean(), languages: strings }),
  }),
  video: block({ access_request_enabled: z.boolean(), camera_default_on: z.boolean(), camera_facing: z.enum(['front', 'back', 'external']), enabled: z.boolean(), target_resolution: targetResolution }),
};

/** What each block is for, shown as hover help in editors (the JSON Schema's descriptions). */
const BLOCK_HELP: Record<keyof typeof callSettingsBlocks, string> = {
  audio: 'Microphone and speaker defaults, noise cancellation, HiFi audio (AudioSettingsRequest). default_device is required whenever the block is sent.',
  backstage: 'Backstage: only hosts join before the call goes live, and how far ahead.',
  broadcasting: 'HLS and RTMP broadcasting of the call.',
  encryption: 'End-to-end encryption mode.',
  frame_recording: 'Periodic frame capture (mode and capture_interval_in_seconds are required).',
  geofencing: 'Geofences calls are restricted to (a set of names).',
  individual_recording: 'One recording per participant (mode is required).',
  ingress: 'RTMP/WHIP ingress and its encoding options.',
  limits: 'Maximum participants and duration.',
  raw_recording: 'Raw track recording (mode is required).',
  recording: 'Composite call recording: mode (required), quality, layout, audio only.',
  ring: 'Ringing timeouts (incoming_call_timeout_ms and auto_cancel_timeout_ms are required).',
  screensharing: 'Whether screensharing is allowed, and its target resolution.',
  session: 'How long an empty call stays open (inactivity_timeout_seconds is required).',
  thumbnails: 'Call thumbnails.',
  transcription: 'Transcription, closed captions and translation.',
  video: 'Camera defaults and target resolution.',
};

export const callSettingsSchema = z
  .object(Object.fromEntries(Object.entries(callSettingsBlocks).map(([k, v]) => [k, v.optional().describe(BLOCK_HELP[k as keyof typeof callSettingsBlocks])])) as { [K in keyof typeof callSettingsBlocks]: z.ZodOptional<(typeof callSettingsBlocks)[K]> })
  .strict()
  .describe('Call settings by block; only the blocks and fields declared are managed.');

const eventNotification = block({
  enabled: z.boolean(),
  apns: block({ title: z.string(), body: z.string(), sound: z.string(), 'content-available': int(0), 'mutable-content': int(0), data: z.record(z.string(), z.unknown()) }),
  fcm: block({ data: z.record(z.string(), z.unknown()) }),
});

export const notificationSettingsSchema = block({
  enabled: z.boolean(),
  call_live_started: eventNotification,
  call_missed: eventNotification,
  call_notification: eventNotification,
  call_ring: eventNotification,
  session_started: eventNotification,
});

/** Arrays that are sets (compared without order): names, output types, languages, excluded roles. */
export const SETTINGS_SETS = [
  '/settings/broadcasting/hls/quality_tracks',
  '/settings/geofencing/names',
  '/settings/individual_recording/output_types',
  '/settings/limits/max_participants_exclude_roles',
  '/settings/transcription/translation/languages',
];

/** Fields the API requires in a settings block whenever the block is sent (the spec's request schemas). */
export const REQUIRED: Record<string, readonly string[]> = {
  audio: ['default_device'],
  frame_recording: ['mode', 'capture_interval_in_seconds'],
  individual_recording: ['mode'],
  raw_recording: ['mode'],
  recording: ['mode'],
  ring: ['incoming_call_timeout_ms', 'auto_cancel_timeout_ms'],
  session: ['inactivity_timeout_seconds'],
};
