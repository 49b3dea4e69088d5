import { z } from 'zod';
import { inputError, orNotFound } from '../../errors.js';
import { hasOwn, setOwn } from '../../paths.js';
import { builtinMapSlice, type Resource } from '../../resource.js';
import { route, type RequestContext } from '../../router.js';
import type { AppState, Rec } from '../../store.js';
import { nowIso, parseInput } from '../../validate.js';
import { BUILTIN_CALL_TYPES, builtinCallType, CALL_CAPABILITIES, CALL_ROLES, type BuiltinCallType } from './call-type-defaults.js';
import { callSettingsSchema, notificationSettingsSchema, REPLACED_MAPS } from './call-type-schema.js';

declare module '../../store.js' {
  interface AppState {
    /** name → CallTypeResponse (without `duration`). */
    callTypes: Map<string, Rec>;
  }
}

/**
 * Video call types (`/api/v2/video/calltypes`). Every app has the four built-ins (call-type-defaults.ts): they can
 * be updated but not deleted. Writes follow the merge rules Stream's own SDK tests rely on
 * (GetStream/stream-node `__tests__/call-types.test.ts`):
 * - settings: each block sent is merged key by key into the stored block, recursively for nested objects (`hls`,
 *   `layout`, `target_resolution`, …); arrays and free-form maps (`layout.options`, push `data`) are replaced;
 *   blocks not sent are unchanged.
 * - grants: each role sent replaces that role's capabilities (`[]` clears them); roles not sent keep theirs. A new
 *   call type starts from the `default` type's built-in grants, so roles the request leaves out still have some
 *   (Stream's test expects `grants.user` after creating with admin grants only).
 * - notification_settings: merged like settings (`enabled` and each event block key by key).
 * A new call type starts from the built-in `default` type's settings, with the request merged in.
 *
 * Deletion is immediate: DeleteCallType answers once the type is gone, and Get/List no longer show it. Stream's
 * docs promise nothing about propagation, and Stream's SDK test expects GetCallType to fail right after
 * DeleteCallType (its only hedge is a retry of the delete itself, which "fails on backend sometimes"); the
 * emulator does not model that sporadic failure (faults can be injected with the emulator's fault options).
 */

const NAME = /^[a-zA-Z0-9_-]+$/;
const grantsSchema = z.record(z.string(), z.array(z.string()));
const writeFields = {
  grants: grantsSchema.optional(),
  settings: callSettingsSchema.optional(),
  notification_settings: notificationSettingsSchema.optional(),
  external_storage: z.string().optional(),
};
// The name rule (letters, digits, `_`, `-`, at most 64) is the emulator's choice: the spec only requires a string.
const createSchema = z.object({ name: z.string().min(1).max(64).regex(NAME, { error: 'may contain only letters, digits, "_" and "-"' }), ...writeFields });
const updateSchema = z.object(writeFields);
type Write = z.infer<typeof updateSchema>;

const isPlainObject = (v: unknown): v is Rec => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `patch` merged into `target` (see the rules above); request keys are set as own properties. */
function mergeInto(target: Rec, patch: Rec): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = hasOwn(target, key) ? target[key] : undefined;
    if (isPlainObject(value) && isPlainObject(current) && !REPLACED_MAPS.has(key)) mergeInto(current, value);
    else setOwn(target, key, structuredClone(value));
  }
}

const isBuiltin = (name: string) => (BUILTIN_CALL_TYPES as readonly string[]).includes(name);

function checkWrite(app: AppState, input: Write): void {
  for (const [role, capabilities] of Object.entries(input.grants ?? {})) {
    if (!app.roles.has(role) && !(CALL_ROLES as readonly string[]).includes(role)) {
      throw inputError(`grants: role "${role}" does not exist`, { grants: `role "${role}" does not exist` });
    }
    // Stream's call type docs list capability names (`start-record-call`) for role configurations, its permission
    // tables name video permissions (`start-recording`); which the server takes is unknown, so both are accepted.
    const unknown = capabilities.find((c) => !CALL_CAPABILITIES.includes(c) && !app.permissions.has(c));
    if (unknown !== undefined) {
      const detail = `"${unknown}" is neither a call capability nor a permission`;
      throw inputError(`grants: ${detail}`, { grants: detail });
    }
  }
  const storage = input.external_storage;
  if (storage && !app.externalStorages.has(storage)) {
    throw inputError(`external storage "${storage}" does not exist`, { external_storage: `external storage "${storage}" does not exist` });
  }
}

function applyWrite(callType: Rec, input: Write, at: string): void {
  if (input.settings) mergeInto(callType.settings, input.settings);
  if (input.notification_settings) mergeInto(callType.notification_settings, input.notification_settings);
  for (const [role, capabilities] of Object.entries(input.grants ?? {})) setOwn(callType.grants, role, [...new Set(capabilities)]);
  if (input.external_storage !== undefined) {
    if (input.external_storage) callType.external_storage = input.external_storage;
    else delete callType.external_storage;
  }
  callType.updated_at = at;
}

const findCallType = (ctx: RequestContext) => orNotFound(ctx.app.callTypes.get(ctx.params.name!), `call type "${ctx.params.name}" does not exist`);

const listCallTypes = route('GET', '/api/v2/video/calltypes', 'ListCallTypes', ({ app }) => ({ call_types: Object.fromEntries(app.callTypes) }));

const createCallType = route('POST', '/api/v2/video/calltypes', 'CreateCallType', ({ app, body, now }) => {
  const input = parseInput(createSchema, body);
  if (app.callTypes.has(input.name)) throw inputError(`call type "${input.name}" already exists`, { name: 'call type already exists' });
  checkWrite(app, input);
  const at = nowIso(now);
  const callType = { ...builtinCallType('default', at), name: input.name };
  applyWrite(callType, input, at);
  app.callTypes.set(input.name, callType);
  return callType;
});

const getCallType = route('GET', '/api/v2/video/calltypes/{name}', 'GetCallType', (ctx) => findCallType(ctx));

const updateCallType = route('PUT', '/api/v2/video/calltypes/{name}', 'UpdateCallType', (ctx) => {
  const input = parseInput(updateSchema, ctx.body);
  const callType = findCallType(ctx);
  checkWrite(ctx.app, input);
  applyWrite(callType, input, nowIso(ctx.now));
  return callType;
});

const deleteCallType = route('DELETE', '/api/v2/video/calltypes/{name}', 'DeleteCallType', (ctx) => {
  const callType = findCallType(ctx);
  if (isBuiltin(callType.name)) throw inputError(`call type "${callType.name}" is a built-in call type and cannot be deleted`);
  ctx.app.callTypes.delete(callType.name);
  return {};
});

/** The built-ins every app has, created at `at`. */
function builtins(at: string): Map<string, Rec> {
  return new Map(BUILTIN_CALL_TYPES.map((name: BuiltinCallType) => [name, builtinCallType(name, at)]));
}

export const callTypes: Resource = {
  name: 'video call types',
  state: { callTypes: builtinMapSlice(builtins) },
  seed: (app, { now }) => {
    app.callTypes = builtins(nowIso(now));
  },
  routes: [listCallTypes, createCallType, getCallType, updateCallType, deleteCallType],
};
