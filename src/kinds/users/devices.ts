import { z } from 'zod';
import type { LiveObject, Rec } from '../../core/model.js';
import { PROVIDER_TYPES, providerAddress } from '../push/providers.js';
import { addressPart, defineKind, liveObject, pick } from '../define.js';
import { satelliteOwners } from './satellites.js';

/**
 * Push devices of declared users (`device/<user_id>/<id>`), declared under the user:
 *
 *   users:
 *     - id: support-bot
 *       devices:
 *         - id: fcm-token-0001
 *           push_provider: firebase
 *           push_provider_name: acme-fcm
 *
 * CreateDevice registers or re-registers a device (an upsert by id); ListDevices reads a user's devices;
 * DeleteDevice removes one. The write model says `voip_token`, the read model `voip`: the live side is read into
 * the file's shape. Undeclared devices of a user that declares `devices:` are deleted only with `devices` in
 * `policy.prune`; users that do not declare `devices:` are never read.
 */
export const deviceSchema = z
  .object({
    /** The device token the push provider issued (the address names it: `device/<user_id>/<id>`). */
    id: addressPart('a device id', 255).describe('Identity: the device token the push provider issued (`device/<user_id>/<id>`).'),
    push_provider: z.enum(PROVIDER_TYPES).describe('The type of push provider the token belongs to: apn, firebase, huawei or xiaomi.'),
    /** The push provider (of type `push_provider`) this device sends through; the provider must exist. */
    push_provider_name: addressPart('a push provider name', 36).optional().describe('The push provider (of type push_provider) the device sends through; it must exist or be declared.'),
    /** An Apple VoIP token (reads back as `voip`). */
    voip_token: z.boolean().optional().describe('Whether the token is an Apple VoIP push token (reads back as voip).'),
    hardware_id: z.string().max(255, 'hardware_id must be at most 255 characters').optional().describe('A stable id of the physical device, used to avoid duplicate pushes across providers (at most 255 characters).'),
  })
  .strict();

/** The device fields the file declares (beside `user_id`, which the enclosing user gives). */
const DEVICE_FIELDS = ['id', 'push_provider', 'push_provider_name', 'voip_token', 'hardware_id'] as const;

export const deviceAddress = (userId: unknown, id: unknown) => `device/${String(userId)}/${String(id)}`;

/** A DeviceResponse in the file's shape: `voip` → `voip_token`; server-owned fields (created_at, disabled) left out. */
export function deviceLive(d: Rec): LiveObject {
  const fields: Rec = { user_id: d.user_id, id: d.id, push_provider: d.push_provider, voip_token: d.voip === true };
  if (typeof d.push_provider_name === 'string' && d.push_provider_name !== '') fields.push_provider_name = d.push_provider_name;
  if (typeof d.hardware_id === 'string' && d.hardware_id !== '') fields.hardware_id = d.hardware_id;
  return liveObject('device', deviceAddress(d.user_id, d.id), fields);
}

export const deviceKind = defineKind({
  kind: 'device',
  // Not a section of the file (devices are declared under their user): the name `policy.prune` uses for them.
  section: 'devices',
  declaredIn: 'user',
  // The user first; and the provider a device names, when the file declares it.
  dependsOn: ['user', 'push_provider'],
  refs: (fields) => [`user/${String(fields.user_id)}`, ...(typeof fields.push_provider_name === 'string' ? [providerAddress(fields.push_provider, fields.push_provider_name)] : [])],
  identityFields: ['user_id', 'id'],
  async fetch(api, desired, { complete, all }) {
    const owners = await satelliteOwners(api, 'devices', desired, all, complete);
    const lists = await Promise.all(
      owners.map((user_id) => api.send<{ devices?: Rec[] }>({ op: 'ListDevices', method: 'GET', path: '/api/v2/devices', query: { user_id }, idempotent: true })),
    );
    return lists.flatMap((l, i) => (l.devices ?? []).map((d) => deviceLive({ ...d, user_id: d.user_id ?? owners[i] })));
  },
  requests({ action, desired, live }) {
    const { user_id, id } = (desired ?? live)!.fields as { user_id: string; id: string };
    if (action === 'delete') return [{ op: 'DeleteDevice', method: 'DELETE', path: '/api/v2/devices', query: { id, user_id }, idempotent: true }];
    // CreateDevice re-registers the whole device: fields the file does not declare keep their live values.
    const body = { ...(live ? pick(live.fields, DEVICE_FIELDS) : {}), ...pick(desired!.fields, DEVICE_FIELDS), user_id };
    return [{ op: 'CreateDevice', method: 'POST', path: '/api/v2/devices', body, idempotent: true }];
  },
  // No toFile: devices are user data, and `export` never lists users.
});
