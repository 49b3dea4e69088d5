import { describe, expect, it } from 'vitest';
import { expectRejected, expectValidRequests, plannedRequests } from '../../../test/support/kinds.js';
import { loadSpec } from '../../../test/support/spec.js';
import type { Rec } from '../../core/model.js';
import { callSettingsSchema, notificationSettingsSchema } from './call-settings.js';
import { callTypeKind, callTypeLive, callTypeSchema } from './call-types.js';

const plan = (fields: Rec, live?: Rec) => plannedRequests(callTypeKind, callTypeLive, fields, live);

/** GetCallType's answer for a custom type, trimmed to what the tests read. */
const LIVE: Rec = {
  name: 'support',
  created_at: 1767225600,
  updated_at: 1767225600,
  grants: { admin: ['send-audio', 'send-video', 'mute-users'], user: ['send-audio'] },
  notification_settings: { enabled: true, call_ring: { enabled: true, apns: { title: 'Ring', body: '' } } },
  settings: {
    audio: { default_device: 'speaker', mic_default_on: true, opus_dtx_enabled: true, access_request_enabled: false },
    recording: { mode: 'available', audio_only: false, quality: '720p', layout: { name: 'spotlight' } },
    transcription: { mode: 'available', closed_caption_mode: 'available', language: 'en', translation: { enabled: false, languages: [] } },
    geofencing: { names: ['european_union', 'united_states'] },
  },
};

describe('call type schema', () => {
  it('accepts a realistic support call type', () => {
    const value = { name: 'support', settings: { audio: { default_device: 'speaker', noise_cancellation: { mode: 'auto-on' } }, recording: { mode: 'auto-on', quality: '1080p' }, transcription: { mode: 'auto-on', language: 'auto' } }, grants: { admin: ['send-audio'] }, external_storage: 'recordings' };
    expect(callTypeSchema.safeParse(value).success).toBe(true);
  });

  it.each([
    ['an unknown settings block', { name: 'x', settings: { audoi: {} } }, /audoi/],
    ['an unknown field in a block', { name: 'x', settings: { recording: { mode: 'available', qualty: '720p' } } }, /qualty/],
    ['a mode the API does not have', { name: 'x', settings: { recording: { mode: 'always' } } }, /settings.recording.mode/],
    ['a ring timeout out of range', { name: 'x', settings: { ring: { incoming_call_timeout_ms: 100, auto_cancel_timeout_ms: 5000 } } }, /settings.ring.incoming_call_timeout_ms/],
    ['a permission granted twice', { name: 'x', grants: { user: ['send-audio', 'send-audio'] } }, /grants lists "send-audio" twice/],
    ['a name with a slash', { name: 'a/b' }, /must not contain "\/"/],
  ])('rejects %s', (_name, value, message) => expectRejected(callTypeSchema, value, message));
});

describe('call type requests', () => {
  it('creates with what the file declares, valid for the spec', () => {
    const reqs = plan({ name: 'support', settings: { audio: { default_device: 'speaker' } }, grants: { admin: ['send-audio'] } });
    expect(reqs).toEqual([{ op: 'CreateCallType', method: 'POST', path: '/api/v2/video/calltypes', body: { name: 'support', settings: { audio: { default_device: 'speaker' } }, grants: { admin: ['send-audio'] } }, idempotent: false }]);
    expectValidRequests(reqs);
  });

  it('plans nothing when the declared fields match, whatever else the app has (sets in any order)', () => {
    expect(plan({ name: 'support', settings: { audio: { mic_default_on: true }, geofencing: { names: ['united_states', 'european_union'] } }, grants: { admin: ['mute-users', 'send-audio', 'send-video'] } }, LIVE)).toEqual([]);
  });

  it('sends a changed block over what the app has, so the fields the API requires and unmanaged keys are kept', () => {
    const reqs = plan({ name: 'support', settings: { audio: { mic_default_on: false } } }, LIVE);
    expect(reqs).toHaveLength(1);
    expect(reqs[0]).toMatchObject({ op: 'UpdateCallType', method: 'PUT', params: { name: 'support' } });
    expect(reqs[0]!.body).toEqual({ settings: { audio: { default_device: 'speaker', mic_default_on: false, opus_dtx_enabled: true, access_request_enabled: false } } });
    expectValidRequests(reqs);
  });

  it('sends only the roles whose grants changed, and the notification settings block that changed', () => {
    const reqs = plan({ name: 'support', grants: { user: ['send-audio', 'send-video'], admin: ['send-audio', 'send-video', 'mute-users'] }, notification_settings: { call_ring: { enabled: false } } }, LIVE);
    expect(reqs[0]!.body).toEqual({ grants: { user: ['send-audio', 'send-video'] }, notification_settings: { call_ring: { enabled: false, apns: { title: 'Ring', body: '' } } } });
    expectValidRequests(reqs);
  });

  it('deletes by name; a built-in is never a delete candidate', () => {
    expect(callTypeKind.requests({ action: 'delete', address: 'call_type/support', live: callTypeLive(LIVE), fields: [] })).toEqual([{ op: 'DeleteCallType', method: 'DELETE', path: '/api/v2/video/calltypes/{name}', params: { name: 'support' }, idempotent: true }]);
    expect(callTypeKind.isBuiltin!(callTypeLive({ ...LIVE, name: 'livestream' }))).toBe(true);
    expect(callTypeKind.isBuiltin!(callTypeLive(LIVE))).toBe(false);
  });

  it('names the roles its grants use and its external storage, and warns when a new type leaves out a required field', () => {
    // Built-in call roles are not app roles; a role granted nothing, and a storage declared "", are let go of.
    expect(callTypeKind.refs!({ name: 's', grants: { host: ['join-call'], admin: ['end-call'], 'support-agent': ['join-call'], former: [] }, external_storage: 'rec' })).toEqual(['role/support-agent', 'external_storage/rec']);
    expect(callTypeKind.refs!({ name: 's', external_storage: '' })).toEqual([]);
    const desired = { kind: 'call_type', address: 'call_type/s', fields: { name: 's', settings: { audio: { mic_default_on: true }, recording: { mode: 'available' } } }, sensitive: [] };
    expect(callTypeKind.warnings!({ action: 'create', address: 'call_type/s', desired, fields: [] })).toEqual(['settings.audio is created without default_device, which the API requires in that block: declare it']);
  });
});

describe('call type schema against the spec', () => {
  const spec = loadSpec();
  const props = (name: string): Rec => (spec!.raw.components.schemas[name] as { properties: Rec }).properties;
  const refName = (v: Rec) => String(v.$ref ?? '').split('/').pop()!;

  it.skipIf(!spec)('accepts exactly the blocks and fields of CallSettingsRequest and NotificationSettingsRequest', () => {
    const check = (zodShape: Rec, specName: string, path: string) => {
      const specProps = props(specName);
      expect(Object.keys(zodShape).sort(), path).toEqual(Object.keys(specProps).sort());
      for (const [key, value] of Object.entries(specProps)) {
        const ref = refName(value as Rec);
        const field = zodShape[key] as { shape?: Rec; unwrap?: () => { shape?: Rec } } | undefined;
        const inner = field?.shape ?? field?.unwrap?.().shape;
        if (ref && spec!.raw.components.schemas[ref]?.properties) {
          expect(inner, `${path}.${key} is an object in the spec`).toBeDefined();
          checked.push(`${path}.${key}`);
          check(inner!, ref, `${path}.${key}`);
        }
      }
    };
    const checked: string[] = [];
    check(callSettingsSchema.shape as Rec, 'CallSettingsRequest', 'settings');
    check(notificationSettingsSchema.shape as Rec, 'NotificationSettingsRequest', 'notification_settings');
    // Nested blocks were compared too, not only the top level.
    expect(checked).toEqual(expect.arrayContaining(['settings.audio.noise_cancellation', 'settings.broadcasting.hls.layout', 'notification_settings.call_ring.apns']));
  });
});
