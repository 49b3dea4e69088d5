import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../../test/support/spec.js';
import type { DesiredObject, Rec } from '../../core/model.js';
import { diffFields } from '../../plan/diff.js';
import { type WriteOnlyMemory } from '../../core/model.js';
import { pushPreferenceKind, pushPreferencesSchema } from './push-preferences.js';
import type { Api, ApiRequest } from '../../core/api.js';

const spec = loadSpec();
const want = (fields: Rec): DesiredObject => ({ kind: 'push_preference', address: `push_preference/${String(fields.user_id)}`, fields, sensitive: [] });

/** The state file's memory, as a map: what was recorded when last applied. */
function memoryOf(recorded: Record<string, unknown>): WriteOnlyMemory {
  const fingerprint = (address: string, path: string, value: unknown) => `${address}${path}=${JSON.stringify(value)}`;
  return { fingerprint, applied: (address, path) => (path in recorded ? fingerprint(address, path, recorded[path]) : undefined) };
}

describe('push preferences', () => {
  it('accepts the levels and preferences of PushPreferenceInput, and nothing else', () => {
    expect(pushPreferencesSchema.safeParse({ chat_level: 'mentions', call_level: 'all', feeds_level: 'default', chat_preferences: { thread_replies: 'none' }, feeds_preferences: { follow: 'all', custom_activity_types: { cheer: 'none' } } }).success).toBe(true);
    expect(pushPreferencesSchema.safeParse({ disabled_until: '2030-01-01T00:00:00Z' }).success).toBe(false);
    expect(pushPreferencesSchema.safeParse({ call_level: 'mentions' }).success).toBe(false);
  });

  it('is write-only: with no fingerprint every declared field is a change; with a matching one, nothing', () => {
    const desired = want({ user_id: 'bot', chat_level: 'mentions', chat_preferences: { thread_replies: 'none' } });
    const live = { kind: 'push_preference', address: desired.address, fields: { user_id: 'bot' } };
    const first = diffFields(desired, live, { spec: pushPreferenceKind, ignoredFields: [], memory: memoryOf({}) });
    expect(first).toEqual([
      { path: '/chat_level', before: null, after: 'mentions', sensitive: false },
      { path: '/chat_preferences', before: null, after: { thread_replies: 'none' }, sensitive: false },
    ]);
    const applied = memoryOf({ '/chat_level': 'mentions', '/chat_preferences': { thread_replies: 'none' } });
    expect(diffFields(desired, live, { spec: pushPreferenceKind, ignoredFields: [], memory: applied })).toEqual([]);
    const changed = want({ user_id: 'bot', chat_level: 'all', chat_preferences: { thread_replies: 'none' } });
    expect(diffFields(changed, live, { spec: pushPreferenceKind, ignoredFields: [], memory: applied }).map((f) => f.path)).toEqual(['/chat_level']);
  });

  it('sends only the changed fields on update, everything declared on create', () => {
    const desired = want({ user_id: 'bot', chat_level: 'all', call_level: 'none' });
    const update = pushPreferenceKind.requests({ action: 'update', address: desired.address, desired, fields: [{ path: '/chat_level', before: null, after: 'all', sensitive: false }] });
    const create = pushPreferenceKind.requests({ action: 'create', address: desired.address, desired, fields: [] });
    expect(update).toEqual([{ op: 'UpdatePushNotificationPreferences', method: 'POST', path: '/api/v2/push_preferences', body: { preferences: [{ user_id: 'bot', chat_level: 'all' }] }, idempotent: true }]);
    expect(create[0]!.body).toEqual({ preferences: [{ user_id: 'bot', chat_level: 'all', call_level: 'none' }] });
    if (spec) for (const r of [...update, ...create]) expect(spec.validateRequest(r.op, r.body)).toEqual([]);
    expect(pushPreferenceKind.requests({ action: 'delete', address: desired.address, fields: [] })).toEqual([]);
    expect(pushPreferenceKind.prunable).toBe(false);
  });

  it('has a live object (with unknown values) exactly for users that exist', async () => {
    const sent: ApiRequest[] = [];
    const api: Api = {
      send: async <T>(req: ApiRequest) => {
        sent.push(req);
        return { users: [{ id: 'bot' }] } as T;
      },
    };
    const live = await pushPreferenceKind.fetch(api, [want({ user_id: 'bot', chat_level: 'all' }), want({ user_id: 'new', chat_level: 'all' })], { complete: false });
    expect(live).toEqual([{ kind: 'push_preference', address: 'push_preference/bot', fields: { user_id: 'bot' } }]);
    expect(sent.map((r) => r.op)).toEqual(['QueryUsers']);
  });
});
