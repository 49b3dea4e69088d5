/** Live locations shared by users (key `${user_id}/${message_id}`); one that has ended can no longer be updated. */
import { z } from 'zod';
import { inputError } from '../../errors.js';
import { mapSlice, type Resource } from '../../resource.js';
import { route } from '../../router.js';
import type { Rec } from '../../store.js';
import { dateTime, nowIso, parseInput, queryRequired } from '../../validate.js';
import { requireUser } from './model.js';

declare module '../../store.js' {
  interface AppState {
    /** key `${user_id}/${message_id}` */
    liveLocations: Map<string, Rec>;
  }
}

const liveLocationRequest = z.object({
  message_id: z.string().min(1),
  // The spec's minimums for these are broken (an overflowed unsigned value); the real bounds are used.
  latitude: z.number().min(-90).max(90).nullish(),
  longitude: z.number().min(-180).max(180).nullish(),
  end_at: dateTime.nullish(),
});

const updateLiveLocation = route('PUT', '/api/v2/users/live_locations', 'UpdateLiveLocation', (ctx) => {
  const userId = requireUser(ctx.app, queryRequired(ctx.query, 'user_id')).id as string;
  const req = parseInput(liveLocationRequest, ctx.body);
  const key = `${userId}/${req.message_id}`;
  const existing = ctx.app.liveLocations.get(key);
  const at = nowIso(ctx.now);
  if (existing?.end_at && Date.parse(existing.end_at) <= ctx.now) throw inputError(`live location of message "${req.message_id}" has ended`);
  const latitude = req.latitude ?? existing?.latitude;
  const longitude = req.longitude ?? existing?.longitude;
  if (latitude === undefined || longitude === undefined) {
    throw inputError('latitude and longitude are required to start a live location', { latitude: 'latitude is a required field' });
  }
  const location: Rec = {
    channel_cid: '',
    created_by_device_id: '',
    created_at: at,
    ...existing,
    message_id: req.message_id,
    user_id: userId,
    latitude,
    longitude,
    updated_at: at,
  };
  if (req.end_at) location.end_at = req.end_at;
  ctx.app.liveLocations.set(key, location);
  return { ...location };
});

const getUserLiveLocations = route('GET', '/api/v2/users/live_locations', 'GetUserLiveLocations', (ctx) => {
  const userId = requireUser(ctx.app, queryRequired(ctx.query, 'user_id')).id as string;
  const active = [...ctx.app.liveLocations.values()].filter((l) => l.user_id === userId && (!l.end_at || Date.parse(l.end_at) > ctx.now));
  return { active_live_locations: active };
});

export const liveLocations: Resource = {
  name: 'live locations',
  state: { liveLocations: mapSlice() },
  routes: [getUserLiveLocations, updateLiveLocation],
};
