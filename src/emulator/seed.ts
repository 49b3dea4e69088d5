import { seedAppSettings } from './routes/app.js';
import { seedBlocklists } from './routes/blocklists.js';
import { seedPermissions } from './routes/permissions.js';
import { seedRoles } from './routes/roles.js';
import { emptyApp, type AppState } from './store.js';

/**
 * A new app as Stream creates it: app settings carrying every field the spec's `AppResponseFields` requires,
 * built-in roles and permissions (`custom: false`), and the built-in block list `profanity_en_2020_v1`.
 */
export function seedApp(cfg: { key: string; secret: string; name?: string }, nowMs: number): AppState {
  const app = emptyApp(cfg.key, cfg.secret);
  seedAppSettings(app, cfg.name ?? cfg.key, nowMs);
  seedRoles(app, nowMs);
  seedPermissions(app, nowMs);
  seedBlocklists(app, nowMs);
  return app;
}
