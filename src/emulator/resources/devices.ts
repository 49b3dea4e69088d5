/**
 * Push devices, stored per user (key `${user_id}/${id}`) in the read shape of `DeviceResponse`. The write model
 * differs: `voip_token` is written, `voip` reads back.
 */
import { z } from 'zod';
import { inputError, notFound } from '../errors.js';
import { mapSlice, type Resource } from '../resource.js';
import { route } from '../router.js';
import type { AppState } from '../store.js';
import { nowIso, parseInput, queryRequired } from '../validate.js';
import { requireUser, serverSideUserId } from './users/model.js';

declare module '../store.js' {
  interface AppState {
    /** key `${user_id}/${device_id}` */
    devices: Map<string, Rec>;
  }
}

/** Stream keeps at most 25 devices per user and drops the oldest when a new one is added. */
const MAX_DEVICES_PER_USER = 25;

const PUSH_PROVIDERS = ['firebase', 'apn', 'huawei', 'xiaomi'] as const;

const createDeviceRequest = z.object({
  id: z.string().min(1).max(255),
  push_provider: z.enum(PUSH_PROVIDERS),
  push_provider_name: z.string().nullish(),
  user_id: z.string().nullish(),
  user: z.object({ id: z.string() }).nullish(),
  voip_token: z.boolean().nullish(),
  hardware_id: z.string().max(255).nullish(),
});

const devicesOf = (app: AppState, userId: string) =>
  [...app.devices.values()].filter((d) => d.user_id === userId).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));

const createDevice = route('POST', '/api/v2/devices', 'CreateDevice', ({ app, body, now }) => {
  const req = parseInput(createDeviceRequest, body);
  const userId = serverSideUserId(req);
  requireUser(app, userId);
  if (req.push_provider_name && !app.pushProviders.has(`${req.push_provider}/${req.push_provider_name}`)) {
    // Stream lists the app's providers as `type/name`, in the order they were created.
    const available = [...app.pushProviders.values()].map((p) => `${String(p.type)}/${String(p.name)}`).join(', ') || 'none';
    const msg = `push provider "${req.push_provider_name}" with type "${req.push_provider}" not found, available push providers for this application: ${available}`;
    throw inputError(msg, { push_provider_name: msg });
  }
  // A device token belongs to one user: registering it for another user moves it.
  for (const [key, d] of app.devices) if (d.id === req.id && d.user_id !== userId) app.devices.delete(key);
  const key = `${userId}/${req.id}`;
  const existing = app.devices.get(key);
  const device: Record<string, unknown> = {
    id: req.id,
    user_id: userId,
    push_provider: req.push_provider,
    created_at: existing?.created_at ?? nowIso(now),
    disabled: false,
  };
  if (req.push_provider_name) device.push_provider_name = req.push_provider_name;
  if (req.voip_token) device.voip = true;
  if (req.hardware_id) device.hardware_id = req.hardware_id;
  app.devices.set(key, device);
  const others = devicesOf(app, userId).filter((d) => d.id !== req.id);
  for (const old of others.slice(0, Math.max(0, others.length + 1 - MAX_DEVICES_PER_USER))) app.devices.delete(`${userId}/${old.id}`);
  return {};
});

const listDevices = route('GET', '/api/v2/devices', 'ListDevices', ({ app, query }) => {
  const user = requireUser(app, queryRequired(query, 'user_id'));
  return { devices: devicesOf(app, user.id) };
});

const deleteDevice = route('DELETE', '/api/v2/devices', 'DeleteDevice', ({ app, query }) => {
  const id = queryRequired(query, 'id');
  const userId = queryRequired(query, 'user_id');
  if (!app.devices.delete(`${userId}/${id}`)) throw notFound(`device "${id}" of user "${userId}" does not exist`);
  return {};
});

export const devices: Resource = {
  name: 'devices',
  state: { devices: mapSlice() },
  routes: [createDevice, listDevices, deleteDevice],
};
