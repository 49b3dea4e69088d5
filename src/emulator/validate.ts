import { z } from 'zod';
import { inputError } from './errors.js';

/**
 * Parses a request part with a zod schema and turns failures into Stream's 400/4, naming the field the way
 * Stream does (`name is a required field`, `limit must be 200 or less`, …) in both the message and
 * `exception_fields`.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const fields: Record<string, string> = {};
  const messages: string[] = [];
  for (const issue of r.error.issues) {
    const field = issue.path.map(String).join('.') || 'body';
    const msg = describeIssue(field, issue);
    if (!(field in fields)) fields[field] = msg;
    messages.push(msg);
  }
  throw inputError(messages.join(', '), fields);
}

function describeIssue(field: string, issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `${field} is a required field` : `${field} must be of type ${issue.expected}`;
    case 'too_small':
      if (issue.origin === 'string') return issue.minimum === 1 ? `${field} is a required field` : `${field} must be at least ${issue.minimum} characters in length`;
      if (issue.origin === 'array' || issue.origin === 'set') return `${field} must contain at least ${issue.minimum} item(s)`;
      return `${field} must be ${issue.minimum} or greater`;
    case 'too_big':
      if (issue.origin === 'string') return `${field} must be a maximum of ${issue.maximum} characters in length`;
      if (issue.origin === 'array' || issue.origin === 'set') return `${field} must contain at maximum ${issue.maximum} item(s)`;
      return `${field} must be ${issue.maximum} or less`;
    case 'invalid_value':
      if (issue.input === undefined) return `${field} is a required field`;
      return `${field} must be one of [${issue.values.map(String).join(' ')}]`;
    case 'unrecognized_keys':
      return `unknown field(s) ${issue.keys.join(', ')}`;
    default:
      return `${field} is invalid: ${issue.message}`;
  }
}

/** Query-string integers (`limit`, `offset`, …): absent → undefined, garbage → 400/4. */
export function queryInt(query: URLSearchParams, name: string, opts: { min?: number; max?: number } = {}): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw inputError(`${name} must be an integer`, { [name]: `${name} must be an integer` });
  if (opts.min !== undefined && n < opts.min) throw inputError(`${name} must be ${opts.min} or greater`, { [name]: `${name} must be ${opts.min} or greater` });
  if (opts.max !== undefined && n > opts.max) throw inputError(`${name} must be ${opts.max} or less`, { [name]: `${name} must be ${opts.max} or less` });
  return n;
}

/** A required query parameter. */
export function queryRequired(query: URLSearchParams, name: string): string {
  const v = query.get(name);
  if (v === null || v === '') throw inputError(`${name} is a required field`, { [name]: `${name} is a required field` });
  return v;
}

export const nowIso = (ms: number) => new Date(ms).toISOString();

/** RFC 3339 strings or epoch milliseconds, as clients send `date-time` fields. */
export const dateTime = z.union([z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: 'must be an RFC 3339 date-time' }), z.number()]).transform((v) => new Date(v).toISOString());
