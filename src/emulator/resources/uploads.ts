import { extname } from 'node:path';
import { z } from 'zod';
import { inputError, notFound } from '../errors.js';
import { mapSlice, type Resource } from '../resource.js';
import { route, type RequestContext } from '../router.js';
import type { Rec } from '../store.js';
import { nowIso, parseInput, queryRequired } from '../validate.js';

declare module '../store.js' {
  interface AppState {
    uploads: Map<string, Rec>;
  }
}

/**
 * File and image uploads (multipart/form-data: `file`, `user` as JSON, images also `upload_sizes` as JSON). The
 * emulator keeps metadata only (name, type, size, owner) in `app.uploads`, keyed by the CDN URL it answers; the
 * URLs live under a reserved `.invalid` host because the emulator serves no content. The app's
 * `file_upload_config` / `image_upload_config` (size limit, allowed and blocked extensions and MIME types) apply.
 */

const CDN = 'https://cdn.stream-emulator.invalid';
const DEFAULT_SIZE_LIMIT = 100 * 1024 * 1024;
const THUMB_SIZE = 150;

type Kind = 'file' | 'image';

const imageSize = z.object({
  crop: z.enum(['top', 'bottom', 'left', 'right', 'center']).optional(),
  resize: z.enum(['clip', 'crop', 'scale', 'fill']).optional(),
  width: z.number().int().min(1).optional(),
  height: z.number().int().min(1).optional(),
});
const onlyUserId = z.object({ id: z.string().min(1) });

/**
 * A JSON-encoded multipart field. The official Node SDK sends `JSON.stringify(value)` for `user` and
 * `upload_sizes` even when they are left out, so an omitted field arrives as the text `undefined`: that is absent.
 */
function jsonField<S extends z.ZodType>(fields: Rec, name: string, schema: S): z.infer<S> | undefined {
  const raw = fields[name];
  if (raw === undefined || raw === 'undefined' || raw === '') return undefined;
  let value: unknown;
  try {
    value = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    throw inputError(`${name} must be valid JSON`, { [name]: `${name} must be valid JSON` });
  }
  return parseInput(z.object({ [name]: schema }), { [name]: value })[name] as z.infer<S>;
}

/** The app's upload rules for `kind`, as GetApp shows them (`size_limit` 0 means Stream's default). */
function checkAgainstConfig(ctx: RequestContext, kind: Kind, file: File): void {
  const config = (ctx.app.settings[`${kind}_upload_config`] ?? {}) as Rec;
  const limit = Number(config.size_limit) || DEFAULT_SIZE_LIMIT;
  if (file.size > limit) throw inputError(`file is ${file.size} bytes, larger than the ${kind} upload size limit of ${limit} bytes`, { file: 'file is too large' });
  const ext = extname(file.name).toLowerCase();
  const mime = (file.type || 'application/octet-stream').toLowerCase().split(';')[0]!;
  const listed = (list: unknown, value: string) => Array.isArray(list) && list.some((v) => String(v).toLowerCase() === value);
  const rejected =
    (Array.isArray(config.allowed_file_extensions) && config.allowed_file_extensions.length > 0 && !listed(config.allowed_file_extensions, ext)) ||
    (Array.isArray(config.allowed_mime_types) && config.allowed_mime_types.length > 0 && !listed(config.allowed_mime_types, mime)) ||
    listed(config.blocked_file_extensions, ext) ||
    listed(config.blocked_mime_types, mime);
  if (rejected) throw inputError(`file type ${ext || mime} is not allowed by the app's ${kind} upload configuration`, { file: 'file type is not allowed' });
}

const startsWith = (b: Uint8Array, at: number, sig: readonly number[]) => sig.every((v, i) => b[at + i] === v);
const ascii = (b: Uint8Array, at: number, len: number) => String.fromCharCode(...b.subarray(at, at + len));
/** ISO-BMFF brands of HEIC/HEIF/AVIF still images. */
const HEIF_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1', 'avif', 'avis']);

/**
 * Whether the bytes are an image, by signature: JPEG, PNG, GIF, WebP, HEIC/HEIF/AVIF. Stream decides from the
 * content, not from the declared type or the name: a JPEG sent as application/octet-stream is an image, a text file
 * named .jpg is not.
 */
export function sniffImage(b: Uint8Array): boolean {
  if (startsWith(b, 0, [0xff, 0xd8, 0xff])) return true;
  if (startsWith(b, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return true;
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') return true;
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return true;
  return b.length >= 12 && ascii(b, 4, 4) === 'ftyp' && HEIF_BRANDS.has(ascii(b, 8, 4));
}

const isImage = async (file: File) => sniffImage(new Uint8Array(await file.slice(0, 32).arrayBuffer()));

const formFields = (ctx: RequestContext) => (ctx.body && typeof ctx.body === 'object' ? ctx.body : {}) as Rec;

/** Checks and records an upload; answers its URL. */
async function upload(ctx: RequestContext, kind: Kind): Promise<string> {
  const fields = formFields(ctx);
  const file = fields.file;
  if (!(file instanceof File)) throw inputError('file is a required field', { file: 'file is a required field' });
  if (kind === 'image' && !(await isImage(file))) throw inputError(`file ${file.name} is not an image`, { file: 'file is not an image' });
  checkAgainstConfig(ctx, kind, file);
  const user = jsonField(fields, 'user', onlyUserId);
  const name = file.name || (kind === 'image' ? 'image' : 'file');
  const url = `${CDN}/${ctx.app.key}/${kind === 'image' ? 'images' : 'attachments'}/${ctx.newId()}.${encodeURIComponent(name)}`;
  ctx.app.uploads.set(url, { url, kind, name, mime_type: file.type, size: file.size, user_id: user?.id, created_at: nowIso(ctx.now) });
  return url;
}

function remove(ctx: RequestContext, kind: Kind): Rec {
  const url = queryRequired(ctx.query, 'url');
  const stored = ctx.app.uploads.get(url);
  if (!stored || stored.kind !== kind) throw notFound(`${kind} ${url} does not exist`);
  ctx.app.uploads.delete(url);
  return {};
}

const uploadFile = route('POST', '/api/v2/uploads/file', 'UploadFile', async (ctx) => ({ file: await upload(ctx, 'file') }));

const deleteFile = route('DELETE', '/api/v2/uploads/file', 'DeleteFile', (ctx) => remove(ctx, 'file'));

const uploadImage = route('POST', '/api/v2/uploads/image', 'UploadImage', async (ctx) => {
  const sizes = jsonField(formFields(ctx), 'upload_sizes', z.array(imageSize));
  const url = await upload(ctx, 'image');
  // Stream's image CDN resizes through query parameters; the thumbnail is one such variant.
  const body: Rec = { file: url, thumb_url: `${url}?w=${THUMB_SIZE}&h=${THUMB_SIZE}&resize=crop&crop=center` };
  if (sizes) body.upload_sizes = sizes;
  return body;
});

const deleteImage = route('DELETE', '/api/v2/uploads/image', 'DeleteImage', (ctx) => remove(ctx, 'image'));

export const uploads: Resource = {
  name: 'uploads',
  state: { uploads: mapSlice() },
  routes: [uploadFile, deleteFile, uploadImage, deleteImage],
};
