import { z } from 'zod';
import type { LiveObject, Rec } from '../../core/model.js';
import { fromPointer } from '../../core/pointer.js';
import { addressPart, defineKind, getOrUndefined, isRecord, liveObject, noDuplicates, overlay, pick } from '../define.js';
import { callSettingsSchema, notificationSettingsSchema, REQUIRED, SETTINGS_SETS } from './call-settings.js';

/** Stream's built-in call-level roles: grants may name them without an app role of that name. */
export const CALL_ROLES = ['admin', 'call_member', 'host', 'moderator', 'user'] as const;

/** The call types every app has: updated like any other, never deleted. */
export const BUILTIN_CALL_TYPES = ['audio_room', 'default', 'development', 'livestream'] as const;

const FIELDS = ['name', 'settings', 'grants', 'notification_settings', 'external_storage'] as const;

export const callTypeSchema = z
  .object({
    name: addressPart('a call type name', 64).describe('The call type (`call_type/<name>`); default, audio_room, livestream and development are built in.'),
    settings: callSettingsSchema.optional(),
    grants: z
      .record(z.string().min(1), z.array(z.string().min(1)).superRefine(noDuplicates('grants')))
      .optional()
      .describe('Call-level role → the permissions it has in calls of this type (a set). Only the roles listed are managed; each names a role of the app.'),
    notification_settings: notificationSettingsSchema.optional().describe('Push notifications for call events (ring, missed, live started, …); only what is declared is managed.'),
    external_storage: z.string().optional().describe('The external storage recordings of this type go to (an `external_storages` name; "" for none).'),
  })
  .strict()
  .describe('A Stream Video call type: settings per block, grants per role, notification settings.');

/** ListCallTypes' or GetCallType's call type, in the file's shape (timestamps dropped). */
export function callTypeLive(t: Rec): LiveObject {
  // No storage reads as "", which is how the file says "none".
  const fields = { ...pick(t, FIELDS), external_storage: typeof t.external_storage === 'string' ? t.external_storage : '' };
  return liveObject('call_type', `call_type/${String(t.name)}`, fields, (BUILTIN_CALL_TYPES as readonly string[]).includes(String(t.name)));
}

const listCallTypes = { op: 'ListCallTypes', method: 'GET', path: '/api/v2/video/calltypes', idempotent: true } as const;

/**
 * Call types (`call_type/<name>`, Stream Video): settings per block (audio, video, recording, transcription,
 * broadcasting, backstage, …), grants per call-level role, notification settings and the external storage for
 * recordings. Only what the file declares is managed, key by key: an update sends each changed block over what the
 * app has (so unmanaged keys, and the fields the API requires in a block, are kept) and only the roles whose
 * grants changed (UpdateCallType leaves the other roles as they are). The built-in types are updated, never deleted.
 */
export const callTypeKind = defineKind({
  kind: 'call_type',
  section: 'call_types',
  schema: z.array(callTypeSchema),
  identityFields: ['name'],
  // Grants name roles; recordings go to a declared external storage.
  dependsOn: ['role', 'external_storage'],
  releases: ['role', 'external_storage'],
  // A role whose grants are declared empty, and a storage declared "", are let go of: no reference keeps them.
  refs: (fields) => [
    ...Object.entries((fields.grants as Record<string, string[]> | undefined) ?? {})
      .filter(([role, granted]) => granted.length > 0 && !(CALL_ROLES as readonly string[]).includes(role))
      .map(([role]) => `role/${role}`),
    ...(typeof fields.external_storage === 'string' && fields.external_storage !== '' ? [`external_storage/${fields.external_storage}`] : []),
  ],
  setFields: ['/grants/*', ...SETTINGS_SETS],
  isBuiltin: (live) => live.builtin === true,
  builtins: BUILTIN_CALL_TYPES.map((t) => `call_type/${t}`),
  async fetch(api) {
    const res = await api.send<{ call_types?: Record<string, Rec> }>(listCallTypes);
    return Object.entries(res.call_types ?? {}).map(([name, t]) => callTypeLive({ name, ...t }));
  },
  warnings({ action, desired }) {
    if (action !== 'create' || !isRecord(desired?.fields.settings)) return [];
    const settings = desired.fields.settings;
    return Object.entries(REQUIRED).flatMap(([blockName, required]) => {
      const declared = settings[blockName];
      const missing = isRecord(declared) ? required.filter((f) => declared[f] === undefined) : [];
      return missing.length ? [`settings.${blockName} is created without ${missing.join(', ')}, which the API requires in that block: declare it`] : [];
    });
  },
  requests({ action, desired, live, fields }) {
    const name = String((desired ?? live)!.fields.name);
    if (action === 'delete') return [{ op: 'DeleteCallType', method: 'DELETE', path: '/api/v2/video/calltypes/{name}', params: { name }, idempotent: true }];
    if (action === 'create') return [{ op: 'CreateCallType', method: 'POST', path: '/api/v2/video/calltypes', body: desired!.fields, idempotent: false }];
    const want = desired!.fields;
    const have = live?.fields ?? {};
    const body: Rec = {};
    for (const { path } of fields) {
      const [top, key] = fromPointer(path);
      if (!top || top === 'name') continue;
      if (top === 'external_storage') body.external_storage = want.external_storage;
      else if (top === 'grants' && key !== undefined) ((body.grants ??= {}) as Rec)[key] = (want.grants as Rec)[key];
      else if (key !== undefined) ((body[top] ??= {}) as Rec)[key] = overlay((have[top] as Rec | undefined)?.[key], (want[top] as Rec)[key]);
      else body[top] = want[top];
    }
    if (Object.keys(body).length === 0) return [];
    return [{ op: 'UpdateCallType', method: 'PUT', path: '/api/v2/video/calltypes/{name}', params: { name }, body, idempotent: true }];
  },
  async reread(api, desired) {
    const res = await getOrUndefined<Rec>(api, { op: 'GetCallType', method: 'GET', path: '/api/v2/video/calltypes/{name}', params: { name: String(desired.fields.name) }, idempotent: true });
    return res?.name ? callTypeLive(res) : undefined;
  },
  toFile: ({ fields: { external_storage, ...fields } }) => (external_storage ? { ...fields, external_storage } : fields),
});
