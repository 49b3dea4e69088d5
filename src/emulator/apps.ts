import type { Slice } from './resource.js';
import { resources } from './resources/index.js';
import type { AppState, Rec } from './store.js';

/** Every slice a resource declares, by `AppState` field; two resources may not fill the same field. */
const slices = new Map<string, Slice<unknown>>();
for (const resource of resources) {
  for (const [field, slice] of Object.entries(resource.state ?? {}) as [string, Slice<unknown>][]) {
    if (slices.has(field)) throw new Error(`emulator resource ${resource.name} declares the state slice "${field}" a second time`);
    slices.set(field, slice);
  }
}

function emptyApp(key: string, secret: string): AppState {
  const app: Rec = { key, secret };
  for (const [field, slice] of slices) app[field] = slice.empty();
  return app as AppState;
}

/** A new app as Stream creates it: every resource's built-ins (app settings, roles, permissions, block lists). */
export function newApp(cfg: { key: string; secret: string; name?: string }, nowMs: number): AppState {
  const app = emptyApp(cfg.key, cfg.secret);
  const seed = { name: cfg.name ?? cfg.key, now: nowMs };
  for (const resource of resources) resource.seed?.(app, seed);
  return app;
}

/** JSON form of an app for `--data FILE`: each slice as its resource saves it. */
export function serializeApp(app: AppState): Rec {
  const out: Rec = { key: app.key, secret: app.secret };
  for (const [field, slice] of slices) out[field] = slice.save((app as unknown as Rec)[field]);
  return out;
}

export function deserializeApp(raw: Rec): AppState {
  const app: Rec = emptyApp(String(raw.key), String(raw.secret));
  for (const [field, slice] of slices) app[field] = slice.load(raw[field]);
  return app as AppState;
}
