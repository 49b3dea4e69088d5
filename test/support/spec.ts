import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * The official OpenAPI specs as test oracles: the video spec (the common endpoints, call types, SIP) from
 * `STREAM_OPENAPI_SPEC` or `../shared/stream-openapi/video-serverside-api.json`, and the chat spec (channel types,
 * commands) from `STREAM_OPENAPI_CHAT_SPEC` or `../shared/stream-openapi/chat-serverside-api.json`, and the moderation
 * spec (configs, rules) from `STREAM_OPENAPI_MODERATION_SPEC` or `../shared/stream-openapi/moderation-serverside-api.json`,
 * never copied into the repository. When one is absent the suites that need it skip, unless `REQUIRE_STREAM_OPENAPI=1` (CI), where its
 * absence is a failure.
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SPEC_PATH = process.env.STREAM_OPENAPI_SPEC ?? resolve(repoRoot, '../shared/stream-openapi/video-serverside-api.json');
export const CHAT_SPEC_PATH = process.env.STREAM_OPENAPI_CHAT_SPEC ?? resolve(repoRoot, '../shared/stream-openapi/chat-serverside-api.json');
export const MODERATION_SPEC_PATH =
  process.env.STREAM_OPENAPI_MODERATION_SPEC ?? resolve(repoRoot, '../shared/stream-openapi/moderation-serverside-api.json');
export const SPEC_REQUIRED = process.env.REQUIRE_STREAM_OPENAPI === '1';

export type SpecProduct = 'video' | 'chat' | 'moderation';
const SPEC_PATHS: Record<SpecProduct, string> = { video: SPEC_PATH, chat: CHAT_SPEC_PATH, moderation: MODERATION_SPEC_PATH };
const SPEC_ENV: Record<SpecProduct, string> = { video: 'STREAM_OPENAPI_SPEC', chat: 'STREAM_OPENAPI_CHAT_SPEC', moderation: 'STREAM_OPENAPI_MODERATION_SPEC' };

type Json = Record<string, any>;

export interface SpecOperation {
  op: string;
  method: string;
  path: string;
  regex: RegExp;
  raw: Json;
}

export interface Spec {
  raw: Json;
  /** The `/api/v2` common operations (tag `product:common`): the emulator's scope. */
  commonOps: SpecOperation[];
  operation(op: string): SpecOperation;
  /** Whether the spec documents the operation. */
  has(op: string): boolean;
  /** The operation a concrete request hits, by method and path. */
  find(method: string, path: string): SpecOperation | undefined;
  /** Errors of `body` against the response schema for (op, status); statuses the op does not list are checked against APIError. */
  validateResponse(op: string, status: number, body: unknown): string[];
  /** Errors of `body` against the op's JSON request body schema ([] when the op takes none). */
  validateRequest(op: string, body: unknown): string[];
  /** The statuses the spec documents for an op. */
  statuses(op: string): number[];
}

const cached = new Map<SpecProduct, Spec | null>();

/** The video spec (the default, for the common endpoints), the chat spec or the moderation spec; `undefined` when it is absent. */
export function loadSpec(product: SpecProduct = 'video'): Spec | undefined {
  const known = cached.get(product);
  if (known !== undefined) return known ?? undefined;
  const path = SPEC_PATHS[product];
  if (!existsSync(path)) {
    if (SPEC_REQUIRED) throw new Error(`REQUIRE_STREAM_OPENAPI=1 but the ${product} OpenAPI spec is missing at ${path}`);
    console.warn(`[contract] ${product} OpenAPI spec not found at ${path}: contract checks are skipped (set ${SPEC_ENV[product]}).`);
    cached.set(product, null);
    return undefined;
  }
  const spec = buildSpec(JSON.parse(readFileSync(path, 'utf8')) as Json);
  cached.set(product, spec);
  return spec;
}

/** The spec types timestamps as numbers; the wire carries RFC 3339 strings. Accept both, as the official SDK does. */
function widenTimestamps(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(widenTimestamps);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k] = widenTimestamps(v);
  if (out.format === 'date-time' && (out.type === 'number' || out.type === 'integer')) out.type = ['number', 'string'];
  return out;
}

function buildSpec(raw: Json): Spec {
  const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'stream.json', components: { schemas: widenTimestamps(raw.components.schemas) } });
  const compiled = new Map<string, ValidateFunction>();
  const validatorFor = (ref: string) => {
    let v = compiled.get(ref);
    if (!v) {
      v = ajv.compile({ $ref: `stream.json${ref}` });
      compiled.set(ref, v);
    }
    return v;
  };
  const run = (ref: string, body: unknown) => {
    const v = validatorFor(ref);
    if (v(body)) return [];
    return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  };

  const all: SpecOperation[] = [];
  for (const [path, item] of Object.entries(raw.paths as Json)) {
    for (const [method, op] of Object.entries(item as Json)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const pattern = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+');
      all.push({ op: (op as Json).operationId, method: method.toUpperCase(), path, regex: new RegExp(`^${pattern}/?$`), raw: op as Json });
    }
  }
  // Literal paths first, so `/roles/search` is not taken for `/roles/{name}`.
  all.sort((a, b) => b.path.replace(/\{\w+\}/g, '').length - a.path.replace(/\{\w+\}/g, '').length);
  const byOp = new Map(all.map((o) => [o.op, o]));
  const commonOps = all.filter((o) => (o.raw.tags as string[] | undefined)?.includes('product:common'));

  const operation = (op: string) => {
    const o = byOp.get(op);
    if (!o) throw new Error(`operation ${op} is not in the spec`);
    return o;
  };
  return {
    raw,
    commonOps,
    operation,
    find: (method, path) => all.find((o) => o.method === method.toUpperCase() && o.regex.test(path)),
    has: (op) => byOp.has(op),
    statuses: (op) => Object.keys(operation(op).raw.responses).map(Number),
    validateResponse(op, status, body) {
      const responses = operation(op).raw.responses as Json;
      const documented = responses[String(status)];
      if (!documented) {
        if (status >= 400) return run('#/components/schemas/APIError', body);
        return [`status ${status} is not documented for ${op} (documented: ${Object.keys(responses).join(', ')})`];
      }
      const ref = documented.content?.['application/json']?.schema?.$ref as string | undefined;
      return ref ? run(ref, body) : [];
    },
    validateRequest(op, body) {
      const content = operation(op).raw.requestBody?.content as Json | undefined;
      const ref = content?.['application/json']?.schema?.$ref as string | undefined;
      return ref ? run(ref, body) : [];
    },
  };
}
