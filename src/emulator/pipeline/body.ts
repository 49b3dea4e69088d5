import { inputError, StreamApiError } from '../errors.js';
import { checkJsonInput } from '../paths.js';
import { type Exchange, header } from './exchange.js';

/** Read before faults are decided: a body over the limit is refused (413/22) and never counts for a fault rule. */
export async function readBody(x: Exchange): Promise<void> {
  const max = x.env.maxBodyBytes;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of x.req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new StreamApiError(413, 22, `request body is larger than ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  x.raw = Buffer.concat(chunks);
}

/** Parsed only after authentication: an unauthenticated caller learns nothing about what it sent. */
export async function parseBody(x: Exchange): Promise<void> {
  const type = header(x.req, 'content-type') ?? '';
  if (type.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await new Request(x.url, { method: 'POST', headers: { 'content-type': type }, body: x.raw }).formData();
    } catch {
      throw inputError('invalid request body: the body is not valid multipart/form-data');
    }
    const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of form.entries()) fields[k] = v;
    x.body = { ...fields };
    return;
  }
  const text = x.raw.toString('utf8').trim();
  if (!text) {
    x.body = {};
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw inputError('invalid request body: the body is not valid JSON');
  }
  // One guard for every operation: no handler ever sees (or stores) a too-deep value or a `__proto__` key.
  checkJsonInput(body);
  x.body = body;
}
