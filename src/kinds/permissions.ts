import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import type { DesiredObject, LiveObject, Rec } from '../core/model.js';
import { addressPart, defineKind, getOrUndefined, isRecord, liveObject, pick } from './define.js';
import type { Api, ApiRequest } from '../core/api.js';

/**
 * Custom permissions (`permission/<id>`), beyond the seed: CreatePermission, UpdatePermission (a PUT that
 * replaces name, action, condition and the flags), DeletePermission. Built-ins (`custom: false`) are read-only:
 * declaring one is an error (offline for the ids Stream publishes, at plan time for any other the app reports),
 * they never show as drift and are never deleted.
 *
 * Grants (`app.settings.grants`) name permission ids. Every granted id is checked before any write against the
 * app's permissions (built-in and custom) and the declared ones; ListPermissions is read for that whenever
 * grants are declared, even without a `permissions:` section (a read only: an unmanaged kind is never written).
 */

/**
 * Built-in permission ids Stream publishes (stream-api.md): declaring one is a validation error. Not every
 * built-in is listed (Stream has `-owner` variants and newer ones); the others are caught at plan time, when
 * the app says `custom: false`. The list is never used to accept a grant: only the live app does that.
 */
export const PUBLISHED_BUILTIN_PERMISSIONS: ReadonlySet<string> = new Set([
  // App scope.
  'flag-user', 'mute-user', 'read-flag-reports', 'search-user', 'update-flag-report', 'update-user-owner',
  // Video calls.
  'block-user', 'create-call', 'create-call-reaction', 'delete-recording', 'end-call', 'join-backstage', 'join-call',
  'join-ended-call', 'list-recordings', 'mute-users', 'pin-call-track', 'read-call', 'remove-call-member', 'screenshare',
  'send-audio', 'send-event', 'send-video', 'start-broadcasting', 'start-recording', 'start-transcription',
  'stop-broadcasting', 'stop-recording', 'stop-transcription', 'update-call', 'update-call-member', 'update-call-member-role',
  'update-call-permissions', 'update-call-settings',
  // Chat channels.
  'add-links', 'ban-channel-member', 'ban-user', 'create-attachment', 'create-channel', 'create-mention', 'create-message',
  'create-reaction', 'create-system-message', 'delete-attachment', 'delete-channel', 'delete-message', 'delete-reaction',
  'flag-message', 'mute-channel', 'pin-message', 'read-channel', 'read-channel-members', 'read-message-flags',
  'recreate-channel', 'remove-own-channel-membership', 'run-message-action', 'send-custom-event', 'skip-channel-cooldown',
  'skip-message-moderation', 'truncate-channel', 'unblock-message', 'update-channel', 'update-channel-cooldown',
  'update-channel-frozen', 'update-channel-members', 'update-message', 'upload-attachment',
  'update-message-owner', 'delete-message-owner', 'read-channel-owner',
]);

const builtinMessage = (id: string) => `${id} is a built-in permission: built-ins are read-only, so it cannot be declared in permissions (grant it to a role in app.settings.grants instead)`;

export const permissionSchema = z
  .object({
    id: addressPart('a permission id', 255)
      .refine((id) => !PUBLISHED_BUILTIN_PERMISSIONS.has(id), { error: (issue) => builtinMessage(String(issue.input)) })
      .describe('Identity: the custom permission\'s id (`permission/<id>`), as grants name it; built-in permissions cannot be declared.'),
    name: z.string().min(1, 'a permission name must not be empty').max(100, 'a permission name must be at most 100 characters').describe('The permission\'s display name (at most 100 characters).'),
    /** The action it allows, e.g. `ReadMessageFlags` (Stream's action names). */
    action: z.string().min(1, 'action must not be empty').describe('The action it allows, e.g. ReadMessageFlags (Stream\'s action names).'),
    /** A condition on the resource (Stream's query syntax); compared as a whole. Absent on create: `{}`. */
    condition: z.record(z.string(), z.unknown()).optional().describe('A condition on the resource (Stream\'s query syntax), compared as a whole; absent: none ({}).'),
    description: z.string().max(2048, 'a permission description must be at most 2048 characters').optional().describe('What the permission is for (at most 2048 characters).'),
    /** Only on resources the user owns. */
    owner: z.boolean().optional().describe('Whether it applies only to resources the user owns.'),
    /** Only on resources of the user's teams. */
    same_team: z.boolean().optional().describe('Whether it applies only to resources of the user\'s teams.'),
  })
  .strict();

/** The fields a PUT replaces: name, action and condition are required on every call. */
const WRITE_FIELDS = ['name', 'action', 'condition', 'description', 'owner', 'same_team'] as const;
const FIELDS = ['id', ...WRITE_FIELDS] as const;
const address = (id: unknown) => `permission/${String(id)}`;

/** A Permission (ListPermissions / GetPermission) in the file's shape; built-ins carry the flag. */
export function permissionLive(p: Rec): LiveObject {
  const fields = pick(p, FIELDS);
  if (!isRecord(fields.condition)) fields.condition = {};
  return liveObject('permission', address(p.id), fields, p.custom === false);
}

export async function listPermissions(api: Api): Promise<Rec[]> {
  const res = await api.send<{ permissions?: Rec[] }>({ op: 'ListPermissions', method: 'GET', path: '/api/v2/permissions', idempotent: true });
  return res.permissions ?? [];
}

/**
 * Grants that name a permission the app does not have and the file does not declare: located errors, raised
 * while reading (before any write). `all` holds every declared object (the app's grants, declared permissions).
 * With `pruned` (permissions in policy.prune), a granted custom permission the file does not declare is an error
 * too: apply would delete it, and the grant with it.
 */
export function grantIssues(all: readonly DesiredObject[], live: readonly Rec[], opts: { pruned?: boolean } = {}): ConfigIssue[] {
  const app = all.find((o) => o.kind === 'app');
  const grants = (app?.fields.settings as Rec | undefined)?.grants as Record<string, string[]> | undefined;
  if (!app || !grants) return [];
  const declared = new Set(all.filter((o) => o.kind === 'permission').map((o) => String(o.fields.id)));
  const liveIds = new Set(live.filter((p) => !opts.pruned || p.custom === false).map((p) => String(p.id)));
  const doomed = new Set(opts.pruned ? live.filter((p) => p.custom !== false).map((p) => String(p.id)) : []);
  const issues: ConfigIssue[] = [];
  for (const [role, ids] of Object.entries(grants)) {
    const missing = [...new Set(ids.filter((id) => !declared.has(id) && !liveIds.has(id)))];
    const unknown = missing.filter((id) => !doomed.has(id));
    const pruned = missing.filter((id) => doomed.has(id));
    if (unknown.length) {
      issues.push({
        message: `app.settings.grants.${role} names ${unknown.length === 1 ? 'a permission' : 'permissions'} the app does not have and the file does not declare: ${unknown.join(', ')} (declare custom permissions in permissions)`,
        location: app.location,
      });
    }
    if (pruned.length) {
      issues.push({
        message: `app.settings.grants.${role} names ${pruned.join(', ')}, which the file does not declare and policy.prune would delete: declare ${pruned.length === 1 ? 'it' : 'them'} in permissions, or stop granting ${pruned.length === 1 ? 'it' : 'them'}`,
        location: app.location,
      });
    }
  }
  return issues;
}

/** Declared ids that the app reports as built-in (those Stream does not publish get here, not to validation). */
function builtinIssues(desired: readonly DesiredObject[], live: readonly Rec[]): ConfigIssue[] {
  const builtins = new Set(live.filter((p) => p.custom === false).map((p) => String(p.id)));
  return desired.filter((d) => builtins.has(String(d.fields.id))).map((d) => ({ message: builtinMessage(String(d.fields.id)), location: d.location }));
}

/**
 * For the app kind: checks the declared grants against ListPermissions when the permissions kind does not (no
 * permission is declared, so its section may be absent and the kind unread). One read, only with grants declared.
 */
export async function checkGrantsWithoutPermissions(api: Api, all: readonly DesiredObject[]): Promise<void> {
  const app = all.find((o) => o.kind === 'app');
  if (!(app?.fields.settings as Rec | undefined)?.grants || all.some((o) => o.kind === 'permission')) return;
  const issues = grantIssues(all, await listPermissions(api));
  if (issues.length) throw new ConfigError(issues);
}

async function getPermission(api: Api, id: string): Promise<Rec | undefined> {
  return (await getOrUndefined<{ permission?: Rec }>(api, { op: 'GetPermission', method: 'GET', path: '/api/v2/permissions/{id}', params: { id }, idempotent: true }))?.permission;
}

export const permissionKind = defineKind({
  kind: 'permission',
  section: 'permissions',
  schema: z.array(permissionSchema),
  // Grants that name a permission are changed before it is deleted.
  releasedBy: ['app'],
  // Not an array, but a condition is one query: compared whole, never merged key by key.
  setFields: ['/condition'],
  identityFields: ['id'],
  isBuiltin: (live) => live.builtin === true,
  // Those Stream publishes: a channel type's grants name them without the file declaring them.
  builtins: [...PUBLISHED_BUILTIN_PERMISSIONS].map((id) => `permission/${id}`),
  async fetch(api, desired, { all, complete, forExport }) {
    const permissions = await listPermissions(api);
    // `complete` outside an export: permissions are in policy.prune.
    const issues = [...builtinIssues(desired, permissions), ...grantIssues(all ?? desired, permissions, { pruned: complete && !forExport })];
    if (issues.length) throw new ConfigError(issues);
    return permissions.map(permissionLive);
  },
  requests({ action, desired, live }) {
    const id = String((desired ?? live)!.fields.id);
    if (action === 'delete') return [{ op: 'DeletePermission', method: 'DELETE', path: '/api/v2/permissions/{id}', params: { id }, idempotent: true }];
    const want = desired!.fields;
    if (action === 'create') {
      const req: ApiRequest = { op: 'CreatePermission', method: 'POST', path: '/api/v2/permissions', body: { id, condition: {}, ...pick(want, WRITE_FIELDS) }, idempotent: false };
      return [req];
    }
    // The PUT replaces every field: the ones the file does not declare are sent as they are live, so they stay.
    const body = { ...pick(live!.fields, WRITE_FIELDS), ...pick(want, WRITE_FIELDS) };
    return [{ op: 'UpdatePermission', method: 'PUT', path: '/api/v2/permissions/{id}', params: { id }, body, idempotent: true }];
  },
  async reread(api, desired) {
    const found = await getPermission(api, String(desired.fields.id));
    return found ? permissionLive(found) : undefined;
  },
  toFile(live) {
    const out = pick(live.fields, FIELDS);
    if (out.description === '') delete out.description;
    return out;
  },
});
