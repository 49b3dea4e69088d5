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

const MODE = 'available (users with the permission may turn it on), disabled, or auto-on (on from the start)';
const layout = block({
  name: z.enum(['spotlight', 'grid', 'single-participant', 'mobile', 'custom']).describe('The layout: spotlight, grid, single-participant, mobile, or custom (your app at external_app_url).'),
  detect_orientation: z.boolean().describe('Whether the layout follows the orientation of the shared video.'),
  external_app_url: z.string().describe('The URL of your own layout app (name custom).'),
  external_css_url: z.string().describe('The URL of a stylesheet that restyles the layout.'),
  options: z.record(z.string(), z.unknown()).describe('Layout options (e.g. colours, logo), passed to the layout as written.'),
});
const targetResolution = block({
  width: int(240, 3840).describe('Width in pixels (240 to 3840).'),
  height: int(240, 3840).describe('Height in pixels (240 to 3840).'),
  bitrate: int(undefined, 6_000_000).describe('Maximum bitrate in bits per second (at most 6,000,000).'),
});

const callSettingsBlocks = {
  audio: block({
    access_request_enabled: z.boolean().describe('Whether users without the permission may ask to speak.'),
    default_device: z.enum(['speaker', 'earpiece']).describe('Where audio plays by default on phones: speaker or earpiece; required when the block is sent.'),
    hifi_audio_enabled: z.boolean().describe('Whether high-fidelity (music) audio is allowed.'),
    mic_default_on: z.boolean().describe('Whether the microphone is on when joining.'),
    noise_cancellation: block({ mode: mode.describe(`Noise cancellation: ${MODE}.`) }).describe('Noise cancellation of participants\' audio.'),
    opus_dtx_enabled: z.boolean().describe('Whether Opus DTX (no packets during silence) is used.'),
    redundant_coding_enabled: z.boolean().describe('Whether audio is sent with redundancy (RED) to resist packet loss.'),
    speaker_default_on: z.boolean().describe('Whether the speaker is on when joining.'),
  }),
  backstage: block({
    enabled: z.boolean().describe('Whether calls start in backstage, where only hosts may join.'),
    join_ahead_time_seconds: int(0).describe('How long before the call starts other participants may join, in seconds.'),
  }),
  broadcasting: block({
    enabled: z.boolean().describe('Whether the call may be broadcast.'),
    hls: block({
      auto_on: z.boolean().describe('Whether HLS broadcasting starts with the call.'),
      enabled: z.boolean().describe('Whether HLS broadcasting is allowed.'),
      layout: layout.describe('The layout of the HLS stream.'),
      quality_tracks: strings.describe('The qualities the HLS stream offers (e.g. 720p, portrait-720x1280; a set).'),
    }).describe('HLS broadcasting (viewers watch through a CDN).'),
    rtmp: block({
      enabled: z.boolean().describe('Whether RTMP broadcasting (to YouTube, Twitch, …) is allowed.'),
      layout: layout.describe('The layout of the RTMP stream.'),
      quality: broadcastQuality.describe('The resolution of the RTMP stream (e.g. 1080p or portrait-1080x1920).'),
    }).describe('RTMP broadcasting to external services.'),
  }),
  encryption: block({ mode: mode.describe(`End-to-end encryption: ${MODE}.`) }),
  frame_recording: block({
    mode: mode.describe(`Frame capture: ${MODE}; required when the block is sent.`),
    capture_interval_in_seconds: int(2, 60).describe('Seconds between captured frames (2 to 60); required when the block is sent.'),
    quality: quality.describe('The resolution of captured frames (360p to 1440p).'),
  }),
  geofencing: block({ names: strings.describe('The geofences (e.g. european_union) whose servers calls may use (a set).') }),
  individual_recording: block({
    mode: mode.describe(`Per-participant recording: ${MODE}; required when the block is sent.`),
    output_types: strings.describe('What is recorded per participant (e.g. audio_only, audio_video, screenshare_audio_video; a set).'),
  }),
  ingress: block({
    enabled: z.boolean().describe('Whether streams may be sent into calls (RTMP or WHIP ingress).'),
    audio_encoding_options: block({
      bitrate: int(16_000, 128_000).describe('Audio bitrate in bits per second (16,000 to 128,000).'),
      channels: z.union([z.literal(1), z.literal(2)]).describe('Audio channels: 1 (mono) or 2 (stereo).'),
      enable_dtx: z.boolean().describe('Whether Opus DTX (no packets during silence) is used.'),
    }).describe('How ingested audio is encoded.'),
    video_encoding_options: z
      .record(
        z.string(),
        block({
          source: block({
            width: int(2).describe('Width of the ingested video in pixels.'),
            height: int(2).describe('Height of the ingested video in pixels.'),
            fps: z.union([z.literal(30), z.literal(60)]).describe('Frame rate of the ingested video: 30 or 60.'),
          }).describe('The ingested video\'s size and frame rate.'),
          layers: z
            .array(
              block({
                codec: z.enum(['h264', 'vp8']).describe('The codec of the layer: h264 or vp8.'),
                bitrate: int(1000).describe('Bitrate of the layer in bits per second.'),
                min_dimension: int(240).describe('The smaller side of the layer, in pixels.'),
                max_dimension: int(240).describe('The larger side of the layer, in pixels.'),
                frame_rate_limit: int(1, 60).describe('Highest frame rate of the layer (1 to 60).'),
              }),
            )
            .describe('The simulcast layers the ingested video is encoded into.'),
        }),
      )
      .describe('Ingress protocol (e.g. rtmp, whip) → how ingested video is encoded.'),
  }),
  limits: block({
    max_duration_seconds: int(0).describe('Longest a call may last, in seconds (0: no limit).'),
    max_participants: int(0).describe('Most participants a call may have (0: no limit).'),
    max_participants_exclude_owner: z.boolean().describe('Whether the call\'s creator is left out of max_participants.'),
    max_participants_exclude_roles: strings.describe('Call roles left out of max_participants (a set).'),
  }),
  raw_recording: block({
    mode: mode.describe(`Raw track recording: ${MODE}; required when the block is sent.`),
    audio_only: z.boolean().describe('Whether only audio tracks are recorded.'),
  }),
  recording: block({
    mode: mode.describe(`Composite recording: ${MODE}; required when the block is sent.`),
    audio_only: z.boolean().describe('Whether only audio is recorded.'),
    layout: layout.describe('The layout of the recording.'),
    quality: broadcastQuality.describe('The resolution of the recording (e.g. 1080p or portrait-1080x1920).'),
  }),
  ring: block({
    auto_cancel_timeout_ms: int(5_000, 180_000).describe('When no callee accepts within this time (ms), the ring is cancelled; required when the block is sent.'),
    incoming_call_timeout_ms: int(5_000, 180_000).describe('When an online callee does not answer within this time (ms), the call is rejected; required when the block is sent.'),
    missed_call_timeout_ms: int(5_000, 180_000).describe('When a callee neither accepts nor rejects within this time (ms), a missed call is sent.'),
  }),
  screensharing: block({
    access_request_enabled: z.boolean().describe('Whether users without the permission may ask to share their screen.'),
    enabled: z.boolean().describe('Whether screensharing is allowed.'),
    target_resolution: targetResolution.describe('The resolution and bitrate screenshares aim for.'),
  }),
  session: block({ inactivity_timeout_seconds: int(5, 900).describe('How long a call with nobody left stays open, in seconds (5 to 900); required when the block is sent.') }),
  thumbnails: block({ enabled: z.boolean().describe('Whether thumbnails of calls are made.') }),
  transcription: block({
    mode: mode.describe(`Transcription: ${MODE}.`),
    closed_caption_mode: mode.describe(`Closed captions: ${MODE}.`),
    language: z
      .enum(['auto', 'en', 'fr', 'es', 'de', 'it', 'nl', 'pt', 'pl', 'ca', 'cs', 'da', 'el', 'fi', 'id', 'ja', 'ru', 'sv', 'ta', 'th', 'tr', 'hu', 'ro', 'zh', 'ar', 'tl', 'he', 'hi', 'hr', 'ko', 'ms', 'no', 'uk', 'bg', 'et', 'sl', 'sk'])
      .describe('The language spoken in calls (a code such as en), or auto to detect it.'),
    speech_segment_config: block({
      max_speech_caption_ms: int(0).describe('Longest a single caption may last, in milliseconds.'),
      silence_duration_ms: int(0).describe('Silence that ends a caption, in milliseconds.'),
    }).describe('How speech is split into captions.'),
    translation: block({
      enabled: z.boolean().describe('Whether captions are translated.'),
      languages: strings.describe('The languages captions are translated into (codes such as fr; a set).'),
    }).describe('Translation of captions.'),
  }),
  video: block({
    access_request_enabled: z.boolean().describe('Whether users without the permission may ask to turn their camera on.'),
    camera_default_on: z.boolean().describe('Whether the camera is on when joining.'),
    camera_facing: z.enum(['front', 'back', 'external']).describe('Which camera is used by default: front, back or external.'),
    enabled: z.boolean().describe('Whether video is allowed in calls of this type.'),
    target_resolution: targetResolution.describe('The resolution and bitrate camera video aims for.'),
  }),
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
  enabled: z.boolean().describe('Whether this event sends a push notification.'),
  apns: block({
    title: z.string().describe('The notification\'s title (a template).'),
    body: z.string().describe('The notification\'s body (a template).'),
    sound: z.string().describe('The sound played (e.g. default).'),
    'content-available': int(0).describe('APNs content-available: 1 wakes the app in the background.'),
    'mutable-content': int(0).describe('APNs mutable-content: 1 lets a notification service extension change it.'),
    data: z.record(z.string(), z.unknown()).describe('Custom data added to the APNs payload.'),
  }).describe('The APNs (iOS) payload.'),
  fcm: block({ data: z.record(z.string(), z.unknown()).describe('Custom data added to the FCM data payload.') }).describe('The Firebase (Android) payload.'),
});

export const notificationSettingsSchema = block({
  enabled: z.boolean().describe('Whether call events send push notifications at all.'),
  call_live_started: eventNotification.describe('When a livestream goes live.'),
  call_missed: eventNotification.describe('When a ringing call is missed.'),
  call_notification: eventNotification.describe('When a call is started with notify (not ring).'),
  call_ring: eventNotification.describe('When a call rings the callee.'),
  session_started: eventNotification.describe('When a call\'s session starts.'),
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
