import type { Route } from '../router.js';
import { taskRoutes } from '../tasks.js';
import { appRoutes } from './app.js';
import { rolesRoutes } from './roles.js';
import { permissionsRoutes } from './permissions.js';
import { rateLimitsRoutes } from './rate-limits.js';
import { blocklistsRoutes } from './blocklists.js';
import { externalStorageRoutes } from './external-storage.js';
import { importerStorageRoutes } from './importer-storage.js';
import { pushRoutes } from './push.js';
import { usersRoutes } from './users.js';
import { devicesRoutes } from './devices.js';
import { pushPreferencesRoutes } from './push-preferences.js';
import { usergroupsRoutes } from './usergroups.js';
import { pollsRoutes } from './polls.js';
import { importsRoutes } from './imports.js';
import { uploadsRoutes } from './uploads.js';
import { ogRoutes } from './og.js';

/** Every route the emulator serves: the `/api/v2` common endpoints of Stream's API. */
export const allRoutes: readonly Route[] = [
  ...appRoutes,
  ...rolesRoutes,
  ...permissionsRoutes,
  ...rateLimitsRoutes,
  ...blocklistsRoutes,
  ...externalStorageRoutes,
  ...importerStorageRoutes,
  ...pushRoutes,
  ...usersRoutes,
  ...devicesRoutes,
  ...pushPreferencesRoutes,
  ...usergroupsRoutes,
  ...pollsRoutes,
  ...importsRoutes,
  ...uploadsRoutes,
  ...ogRoutes,
  ...taskRoutes,
];
