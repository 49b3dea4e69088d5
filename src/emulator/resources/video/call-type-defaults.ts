/**
 * What every new app has of Stream Video's call types: the four built-ins (`default`, `audio_room`, `livestream`,
 * `development`) with their settings, grants per call role and notification settings, in CallTypeResponse's shape.
 *
 * Sources, and where the emulator had to choose:
 * - Settings marked "table" come from the "Defaults for call type settings" table of Stream's call type docs
 *   (getstream.io/video/docs/api/call_types/builtin, published from GetStream/stream-chat-docusaurus-cli
 *   `shared/video/_call-types.md`): audio flags and default device, backstage, video (enabled, access requests,
 *   target resolution, camera), screensharing, recording mode/quality, broadcasting and HLS, geofencing,
 *   transcription mode, ring timeouts. Where the table is wrong for the schema (`hls.enabled: available` for a
 *   boolean) it is read as `true`.
 * - `backstage.join_ahead_time_seconds: 0`: Stream's backstage docs ("The default value … is 0").
 * - Marked "captured": a real GetCall answer for a `default` call (2024) kept in a public mock server: ring
 *   `missed_call_timeout_ms` 15000, transcription `closed_caption_mode: available`, thumbnails off. The same
 *   capture shows `default`'s video target 1280x720 at 1.2 Mbit/s where the docs table says 2560x1440 at 5 Mbit/s:
 *   the emulator follows the (documented) table.
 * - Chosen (no public source): values the response schema requires that the docs do not give — `hifi_audio_enabled`
 *   false, audio_room's video target (video is off there), layouts (`spotlight`, no external URLs), RTMP off at
 *   720p, individual/raw/frame recording and encryption `disabled`, frame capture every 5 s, transcription
 *   language `auto`, session inactivity timeout 30 s, no participant limits, ingress off; the notification
 *   settings; and the grants per role (Stream publishes the five call roles and the capability names, but the
 *   per-role defaults only in its dashboard). Grants follow the docs' descriptions: `development` grants every
 *   capability to every role, `audio_room` listeners request to speak, `livestream` viewers only watch.
 */
import type { Rec } from '../../store.js';

/** Capability names a grant may use: the spec's `OwnCapability` enum, as Stream names them on calls. */
export const CALL_CAPABILITIES: readonly string[] = [
  'block-users', 'change-max-duration', 'create-call', 'create-reaction', 'enable-noise-cancellation', 'end-call',
  'join-backstage', 'join-call', 'join-ended-call', 'kick-user', 'mute-users', 'pin-for-everyone', 'read-call',
  'remove-call-member', 'screenshare', 'send-audio', 'send-closed-captions-call', 'send-video', 'start-broadcast-call',
  'start-closed-captions-call', 'start-frame-record-call', 'start-individual-record-call', 'start-raw-record-call',
  'start-record-call', 'start-transcription-call', 'stop-broadcast-call', 'stop-closed-captions-call',
  'stop-frame-record-call', 'stop-individual-record-call', 'stop-raw-record-call', 'stop-record-call',
  'stop-transcription-call', 'update-call', 'update-call-member', 'update-call-permissions', 'update-call-settings',
];

/**
 * Stream's five built-in call roles (docs: "There are 5 pre-defined call roles": user, moderator, host, admin,
 * call-member, spelled `call_member` on the wire as Stream's own SDK tests show). A grant may name these or any
 * role of the app (built-in or custom).
 */
export const CALL_ROLES = ['admin', 'call_member', 'host', 'moderator', 'user'] as const;

export const BUILTIN_CALL_TYPES = ['audio_room', 'default', 'development', 'livestream'] as const;
export type BuiltinCallType = (typeof BUILTIN_CALL_TYPES)[number];

const layout = () => ({ name: 'spotlight', external_app_url: '', external_css_url: '' });
const resolution = (width: number, height: number, bitrate: number) => ({ width, height, bitrate });

/** The per-type values of the docs table; everything else is the same for every built-in. */
interface Variant {
  audioRequests: boolean;
  micOn: boolean;
  device: 'speaker' | 'earpiece';
  backstage: boolean;
  video: boolean;
  videoRequests: boolean;
  target: Rec;
  ringMs: number;
}

const VARIANTS: Record<BuiltinCallType, Variant> = {
  default: { audioRequests: true, micOn: true, device: 'earpiece', backstage: false, video: true, videoRequests: true, target: resolution(2560, 1440, 5_000_000), ringMs: 15_000 },
  // Video is off in audio rooms, so the table gives no target: chosen.
  audio_room: { audioRequests: true, micOn: false, device: 'speaker', backstage: true, video: false, videoRequests: false, target: resolution(1280, 720, 1_200_000), ringMs: 0 },
  livestream: { audioRequests: false, micOn: false, device: 'speaker', backstage: true, video: true, videoRequests: false, target: resolution(1920, 1080, 3_000_000), ringMs: 0 },
  development: { audioRequests: true, micOn: true, device: 'earpiece', backstage: false, video: true, videoRequests: true, target: resolution(1920, 1080, 3_000_000), ringMs: 15_000 },
};

function settings(v: Variant): Rec {
  return {
    audio: {
      access_request_enabled: v.audioRequests, opus_dtx_enabled: true, redundant_coding_enabled: true, mic_default_on: v.micOn,
      speaker_default_on: true, default_device: v.device, hifi_audio_enabled: false,
    },
    backstage: { enabled: v.backstage, join_ahead_time_seconds: 0 },
    broadcasting: {
      enabled: true,
      hls: { auto_on: false, enabled: true, quality_tracks: ['720p'], layout: layout() },
      rtmp: { enabled: false, quality: '720p', layout: layout() },
    },
    geofencing: { names: [] },
    recording: { audio_only: false, mode: 'available', quality: '720p', layout: layout() },
    individual_recording: { mode: 'disabled' },
    raw_recording: { mode: 'disabled' },
    frame_recording: { mode: 'disabled', capture_interval_in_seconds: 5 },
    ring: { incoming_call_timeout_ms: v.ringMs, auto_cancel_timeout_ms: v.ringMs, missed_call_timeout_ms: v.ringMs },
    screensharing: { enabled: v.video, access_request_enabled: v.videoRequests },
    transcription: { mode: 'available', closed_caption_mode: 'available', language: 'auto' },
    video: { enabled: v.video, access_request_enabled: v.videoRequests, target_resolution: v.target, camera_default_on: v.video, camera_facing: 'front' },
    thumbnails: { enabled: false },
    limits: { max_participants_exclude_roles: [] },
    session: { inactivity_timeout_seconds: 30 },
    encryption: { mode: 'disabled' },
    ingress: { enabled: false },
  };
}

const PARTICIPANT = ['read-call', 'join-call', 'send-audio', 'send-video', 'screenshare', 'create-reaction', 'join-ended-call'];
const CREATOR = ['create-call', 'update-call', ...PARTICIPANT];
const MODERATION = [
  ...PARTICIPANT, 'block-users', 'kick-user', 'mute-users', 'pin-for-everyone', 'remove-call-member', 'update-call-member',
  'update-call-permissions', 'end-call',
];
const LISTENER = ['read-call', 'join-call', 'create-reaction'];

function grants(type: BuiltinCallType): Record<string, string[]> {
  const all = [...CALL_CAPABILITIES];
  if (type === 'development') return Object.fromEntries(CALL_ROLES.map((r) => [r, [...all]]));
  const staff = { admin: [...all], host: [...all], moderator: [...MODERATION] };
  if (type === 'audio_room') return { ...staff, call_member: [...LISTENER], user: ['create-call', ...LISTENER] };
  if (type === 'livestream') return { ...staff, call_member: ['read-call', 'join-call'], user: ['read-call', 'join-call'] };
  return { ...staff, call_member: [...PARTICIPANT], user: [...CREATOR] };
}

const event = (enabled: boolean) => ({ enabled, apns: {}, fcm: {} });

function notificationSettings(type: BuiltinCallType): Rec {
  const live = type === 'livestream' || type === 'audio_room';
  return {
    enabled: true,
    call_live_started: event(live),
    session_started: event(false),
    call_notification: event(true),
    call_ring: event(true),
    call_missed: event(true),
  };
}

/** A built-in call type as a new app has it. */
export function builtinCallType(type: BuiltinCallType, at: string): Rec {
  return { name: type, settings: settings(VARIANTS[type]), grants: grants(type), notification_settings: notificationSettings(type), created_at: at, updated_at: at };
}
