import { z } from 'zod';
import type { Api, ApiRequest } from '../core/api.js';
import { type Change, type DesiredObject, isRecord, type LiveObject, type Rec } from '../core/model.js';
import { isNotFound } from '../core/errors.js';
import type { KindSpec, LiveCheck } from './types.js';
import { fromPointer } from '../core/pointer.js';

type Defaulted = 'dependsOn' | 'secretFields' | 'writeOnlyFields' | 'setFields' | 'identityFields' | 'prunable' | 'address';

/** A kind as its module writes it: what `defineKind` fills in may be left out. */
export type KindDefinition = Omit<KindSpec, Defaulted> & Partial<Pick<KindSpec, Defaulted>>;

/**
 * A kind with the defaults filled in: no dependencies, no secret, write-only or set fields, prunable, addressed as
 * `<kind>/<identity field>/…` (a singleton with no identity fields is addressed by its kind alone), and, for a
 * list section, one object per item of the list.
 */
export function defineKind(def: KindDefinition): KindSpec {
  const identityFields = def.identityFields ?? [];
  const { kind, section } = def;
  return {
    dependsOn: [],
    secretFields: [],
    writeOnlyFields: [],
    setFields: [],
    prunable: true,
    identityFields,
    ...(def.schema ? { fileFields: topLevelFields(def.schema) } : {}),
    address: (fields) => [kind, ...identityFields.map((f) => String(fields[f]))].join('/'),
    ...(section && !def.singleton ? { entries: (items: unknown) => (items as Rec[]).map((fields, i) => ({ kind, fields, path: [section, i] })) } : {}),
    ...def,
  };
}

/** The keys of the object a section's schema declares (for a list, of its items), through wrappers and refinements. */
function topLevelFields(schema: z.ZodType): string[] | undefined {
  let s: unknown = schema;
  for (let depth = 0; depth < 8; depth++) {
    if (s instanceof z.ZodObject) return Object.keys(s.shape);
    if (s instanceof z.ZodArray) s = s.element;
    else if (s instanceof z.ZodPipe) s = s.in;
    else if (s && typeof (s as { unwrap?: unknown }).unwrap === 'function') s = (s as { unwrap(): unknown }).unwrap();
    else return undefined;
  }
  return undefined;
}

/** The answer to a GET, or undefined when the API answers 404 (the object does not exist). */
export async function getOrUndefined<T>(api: Api, req: ApiRequest): Promise<T | undefined> {
  try {
    return await api.send<T>(req);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Every item of a paged list: `request` asks for the page after `cursor` (undefined: the first page), `page` reads
 * a page's items and the cursor of the next one (none on the last page).
 */
export async function paginate<R>(api: Api, request: (cursor?: string) => ApiRequest, page: (res: R) => { items: readonly Rec[]; next?: string }): Promise<Rec[]> {
  const out: Rec[] = [];
  let cursor: string | undefined;
  do {
    const { items, next } = page(await api.send<R>(request(cursor)));
    out.push(...items);
    cursor = next || undefined;
  } while (cursor);
  return out;
}

/** A live object of `kind` at `address`. */
export const liveObject = (kind: string, address: string, fields: Rec, builtin?: boolean): LiveObject =>
  builtin ? { kind, address, fields, builtin } : { kind, address, fields };

/** The declared value of a top-level field, as a plain record (for building request bodies). */
export const declared = (d: DesiredObject | undefined): Rec => (d?.fields ?? {}) as Rec;

/** Top-level field names a change touches (`/words` → `words`, `/settings/grants/x` → `settings`). */
export const changedTopLevel = (paths: readonly { path: string }[]) => [...new Set(paths.map((f) => fromPointer(f.path)[0]!).filter(Boolean))];

/** Only the keys of `obj` listed in `keys`. */
export function pick(obj: Rec, keys: readonly string[]): Rec {
  const out: Rec = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/** `desired` laid over `live`, recursively for plain objects: unmanaged nested fields are kept when a nested object is written whole. */
export function overlay(live: unknown, desired: unknown): unknown {
  if (!isRecord(live) || !isRecord(desired)) return desired;
  const out: Rec = { ...live };
  for (const [k, v] of Object.entries(desired)) out[k] = overlay(live[k], v);
  return out;
}

export { isRecord } from '../core/model.js';

/** Identifier-ish names used in addresses: no slashes, no control characters (C0, DEL and C1 alike). */
export const addressPart = (what: string, max: number) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`)
    .refine((s) => !/[/\u0000-\u001f\u007f-\u009f]/.test(s), `${what} must not contain "/" or control characters`)
    // `.` and `..` are dot segments in a URL path: a request for them would reach another resource.
    .refine((s) => s !== '.' && s !== '..', `${what} must not be "." or ".."`);

/**
 * The `${env:…}` placeholder `export` writes for a value the API never returns: `STREAM_<KIND>_<NAME>_<FIELD>`
 * in upper snake case (`envPlaceholder('push_provider', 'acme-fcm', 'firebase_credentials')` →
 * `${env:STREAM_PUSH_PROVIDER_ACME_FCM_FIREBASE_CREDENTIALS}`); singletons pass no name.
 */
export function envPlaceholder(kind: string, name: string | undefined, field: string): string {
  const upper = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').toUpperCase();
  return `\${env:${['STREAM', kind, name, field].filter((p): p is string => Boolean(p)).map(upper).join('_')}}`;
}

/** A set written as a list: the same value twice would never compare equal to what the API keeps. */
export const noDuplicates = (what: string) => (items: readonly string[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (seen.has(item)) ctx.addIssue({ code: 'custom', message: `${what} lists "${item}" twice`, path: [i] });
    seen.add(item);
  }
};

/** Whether a change creates or updates the object at `address` (what a live check of that object checks). */
export const upsertOf = (address: string) => (c: Pick<Change, 'address' | 'action'>) => c.action !== 'delete' && c.address === address;

/**
 * A live check whose failure is an error answer and whose answer is a pass (CheckExternalStorage,
 * ValidateImporterExternalStorage): it checks the app's live configuration of the object.
 */
export const answerCheck = (obj: DesiredObject, request: ApiRequest): LiveCheck => ({
  name: `${request.op} ${obj.address}`,
  address: obj.address,
  request,
  verdict: () => undefined,
  touchedBy: upsertOf(obj.address),
});
