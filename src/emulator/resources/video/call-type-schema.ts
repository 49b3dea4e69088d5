import { z } from 'zod';

/**
 * CallSettingsRequest and NotificationSettingsRequest as the spec (v236) writes them: required fields, enums and
 * ranges. Unknown keys are dropped, as everywhere else in the emulator.
 */

const mode = z.enum(['available', 'disabled', 'auto-on']);
const QUALITIES = ['360p', '480p', '720p', '1080p', '1440p'] as const;
const quality = z.enum([...QUALITIES, 'portrait-360x640', 'portrait-480x854', 'portrait-720x1280', 'portrait-1080x1920', 'portrait-1440x2560']);
const int32 = z.number().int();
const freeMap = z.record(z.string(), z.unknown());

const layout = z.object({
  name: z.enum(['spotlight', 'grid', 'single-participant', 'mobile', 'custom']),
  options: freeMap.optional(),
  external_app_url: z.string().optional(),
  external_css_url: z.string().optional(),
  detect_orientation: z.boolean().optional(),
});

const targetResolution = z.object({ width: int32.min(240).max(3840), height: int32.min(240).max(3840), bitrate: int32.max(6_000_000).optional() });

const LANGUAGES = ['en', 'fr', 'es', 'de', 'it', 'nl', 'pt', 'pl', 'ca', 'cs', 'da', 'el', 'fi', 'id', 'ja', 'ru', 'sv', 'ta', 'th', 'tr', 'hu', 'ro', 'zh', 'ar', 'tl', 'he', 'hi', 'hr', 'ko', 'ms', 'no', 'uk'] as const;

const ingressVideo = z.object({
  source: z.object({ height: int32.min(2), width: int32.min(2), fps: z.union([z.literal(30), z.literal(60)]) }),
  layers: z.array(z.object({
    codec: z.enum(['h264', 'vp8']),
    bitrate: int32.min(1000),
    min_dimension: int32.min(240),
    max_dimension: int32.min(240),
    frame_rate_limit: int32.min(1).max(60),
  })).min(1),
});

export const callSettingsSchema = z.object({
  audio: z.object({
    default_device: z.enum(['speaker', 'earpiece']),
    access_request_enabled: z.boolean().optional(),
    opus_dtx_enabled: z.boolean().optional(),
    redundant_coding_enabled: z.boolean().optional(),
    mic_default_on: z.boolean().optional(),
    speaker_default_on: z.boolean().optional(),
    hifi_audio_enabled: z.boolean().optional(),
    noise_cancellation: z.object({ mode }).optional(),
  }).optional(),
  backstage: z.object({ enabled: z.boolean().optional(), join_ahead_time_seconds: int32.optional() }).optional(),
  broadcasting: z.object({
    enabled: z.boolean().optional(),
    hls: z.object({ quality_tracks: z.array(quality).min(1).max(3), auto_on: z.boolean().optional(), enabled: z.boolean().optional(), layout: layout.optional() }).optional(),
    rtmp: z.object({ enabled: z.boolean().optional(), quality: quality.optional(), layout: layout.optional() }).optional(),
  }).optional(),
  encryption: z.object({ mode: mode.optional() }).optional(),
  frame_recording: z.object({ mode, capture_interval_in_seconds: int32.min(2).max(60), quality: z.enum(QUALITIES).optional() }).optional(),
  geofencing: z.object({ names: z.array(z.string()).optional() }).optional(),
  individual_recording: z.object({
    mode,
    output_types: z.array(z.enum(['audio_only', 'video_only', 'audio_video', 'screenshare_audio_only', 'screenshare_video_only', 'screenshare_audio_video'])).min(1).optional(),
  }).optional(),
  ingress: z.object({
    enabled: z.boolean().optional(),
    audio_encoding_options: z.object({ channels: z.union([z.literal(1), z.literal(2)]), bitrate: int32.min(16_000).max(128_000), enable_dtx: z.boolean().optional() }).optional(),
    video_encoding_options: z.record(z.string(), ingressVideo).optional(),
  }).optional(),
  limits: z.object({
    max_duration_seconds: int32.min(0).optional(),
    max_participants: int32.optional(),
    max_participants_exclude_owner: z.boolean().optional(),
    max_participants_exclude_roles: z.array(z.string()).optional(),
  }).optional(),
  raw_recording: z.object({ mode, audio_only: z.boolean().optional() }).optional(),
  recording: z.object({ mode, audio_only: z.boolean().optional(), quality: quality.optional(), layout: layout.optional() }).optional(),
  ring: z.object({
    incoming_call_timeout_ms: int32.min(5000).max(180_000),
    auto_cancel_timeout_ms: int32.min(5000).max(180_000),
    missed_call_timeout_ms: int32.min(5000).max(180_000).optional(),
  }).optional(),
  screensharing: z.object({ enabled: z.boolean().optional(), access_request_enabled: z.boolean().optional(), target_resolution: targetResolution.optional() }).optional(),
  session: z.object({ inactivity_timeout_seconds: int32.min(5).max(900) }).optional(),
  thumbnails: z.object({ enabled: z.boolean().optional() }).optional(),
  transcription: z.object({
    mode: mode.optional(),
    closed_caption_mode: mode.optional(),
    language: z.enum(['auto', ...LANGUAGES, 'bg', 'et', 'sl', 'sk']).optional(),
    translation: z.object({ enabled: z.boolean().optional(), languages: z.array(z.enum(LANGUAGES)).optional() }).optional(),
    speech_segment_config: z.object({ max_speech_caption_ms: int32.optional(), silence_duration_ms: int32.optional() }).optional(),
  }).optional(),
  video: z.object({
    enabled: z.boolean().optional(),
    access_request_enabled: z.boolean().optional(),
    target_resolution: targetResolution.optional(),
    camera_default_on: z.boolean().optional(),
    camera_facing: z.enum(['front', 'back', 'external']).optional(),
  }).optional(),
});

const eventNotification = z.object({
  enabled: z.boolean().optional(),
  apns: z.object({
    title: z.string().optional(),
    body: z.string().optional(),
    sound: z.string().optional(),
    'content-available': int32.optional(),
    'mutable-content': int32.optional(),
    data: freeMap.optional(),
  }).optional(),
  fcm: z.object({ data: freeMap.optional() }).optional(),
});

export const notificationSettingsSchema = z.object({
  enabled: z.boolean().optional(),
  call_live_started: eventNotification.optional(),
  session_started: eventNotification.optional(),
  call_notification: eventNotification.optional(),
  call_ring: eventNotification.optional(),
  call_missed: eventNotification.optional(),
});

/** Keys whose values are free-form maps: a write replaces them whole instead of merging into them. */
export const REPLACED_MAPS: ReadonlySet<string> = new Set(['options', 'data', 'video_encoding_options']);
