import type { Resource } from '../resource.js';
import { appSettings } from './app.js';
import { blocklists } from './blocklists.js';
import { checks } from './checks.js';
import { devices } from './devices.js';
import { externalStorage } from './external-storage.js';
import { importerStorage } from './importer-storage.js';
import { imports } from './imports.js';
import { openGraph } from './og.js';
import { permissions } from './permissions.js';
import { polls } from './polls.js';
import { pushPreferences } from './push-preferences.js';
import { push } from './push.js';
import { rateLimits } from './rate-limits.js';
import { roles } from './roles.js';
import { tasks } from './tasks.js';
import { uploads } from './uploads.js';
import { userGroups } from './usergroups.js';
import { userBlocks } from './users/blocks.js';
import { userExports } from './users/exports.js';
import { guests } from './users/guests.js';
import { userLifecycle } from './users/lifecycle.js';
import { liveLocations } from './users/live-locations.js';
import { userQuery } from './users/query.js';
import { users } from './users/upsert.js';
import { channelTypes } from './chat/channel-types.js';
import { chatCommands } from './chat/commands.js';
import { moderationConfigs } from './moderation/configs.js';
import { moderationRules } from './moderation/rules.js';
import { callTypes } from './video/call-types.js';
import { sip } from './video/sip.js';

/**
 * Every resource the emulator serves (the `/api/v2` common endpoints of Stream's API, video call types and SIP,
 * chat channel types and commands, moderation configs and rules), one line each. The folder is `resources/`, not
 * `routes/`: a module owns its state slice, built-ins and persistence as well as its routes.
 *
 * Order matters twice: routes of equally specific paths are tried in this order, and GetRateLimits lists
 * operations in it. New apps are seeded in it too.
 */
export const resources: readonly Resource[] = [
  appSettings,
  roles,
  permissions,
  rateLimits,
  blocklists,
  externalStorage,
  importerStorage,
  push,
  checks,
  userQuery,
  users,
  userLifecycle,
  userExports,
  userBlocks,
  liveLocations,
  guests,
  devices,
  pushPreferences,
  userGroups,
  polls,
  imports,
  uploads,
  openGraph,
  tasks,
  channelTypes,
  chatCommands,
  moderationConfigs,
  moderationRules,
  callTypes,
  sip,
];
