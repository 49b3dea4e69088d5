/**
 * The JSON plan (`--format json`, `plan --out`): a stable, versioned contract that scripts read and that
 * `apply --plan FILE` executes. The output is built field by field, in the contract's key order, so that nothing
 * an object carries at runtime (the executor's `desired`/`live` objects, for one) can leak into it.
 */
import { z } from 'zod';
import type { Change, FieldChange, PlanDocument } from '../../core/model.js';
import { visible } from './format.js';

export const FORMAT_VERSION = '1';

export function renderJson(plan: PlanDocument): string {
  const { target, summary } = plan;
  const doc = {
    format_version: FORMAT_VERSION,
    target: { base_url: target.base_url, api_key: target.api_key, app_name: target.app_name ?? null },
    summary: { create: summary.create, update: summary.update, delete: summary.delete, unchanged: summary.unchanged },
    changes: plan.changes.map(changeJson),
    warnings: plan.warnings.map((w) => ({ address: w.address, message: w.message })),
    live_fingerprint: plan.live_fingerprint,
    ...(plan.sensitive_fingerprint ? { sensitive_fingerprint: plan.sensitive_fingerprint } : {}),
    ...(plan.drift?.length ? { drift: plan.drift.map(changeJson) } : {}),
    ...(plan.depends_on ? { depends_on: Object.fromEntries(Object.entries(plan.depends_on).map(([a, fp]) => [a, fp ?? null])) } : {}),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const changeJson = (c: Change) => ({ address: c.address, kind: c.kind, action: c.action, fields: c.fields.map(fieldJson) });

const fieldJson = (f: FieldChange) => ({
  path: f.path,
  before: visible(f, 'before'),
  after: visible(f, 'after'),
  sensitive: f.sensitive === true,
});

// A value read back from JSON is always JSON; only its presence needs checking (`before: null` is a value).
const present = z.unknown().refine((v) => v !== undefined, 'is missing');

const fieldSchema = z.object({ path: z.string(), before: present, after: present, sensitive: z.boolean() });

const changeSchema = z
  .object({
    address: z.string().min(1),
    kind: z.string().min(1),
    action: z.enum(['create', 'update', 'delete']),
    fields: z.array(fieldSchema),
  })
  .refine((c) => c.address === c.kind || c.address.startsWith(`${c.kind}/`), {
    message: 'address does not belong to its kind',
    path: ['address'],
  });

const count = z.number().int().nonnegative();

// Unknown keys are dropped, not refused: they cannot change what is applied, and the version gates the format.
const planSchema = z
  .object({
    format_version: z.literal(FORMAT_VERSION),
    target: z.object({ base_url: z.string(), api_key: z.string(), app_name: z.string().nullable() }),
    summary: z.object({ create: count, update: count, delete: count, unchanged: count }),
    changes: z.array(changeSchema),
    warnings: z.array(z.object({ address: z.string(), message: z.string() })),
    live_fingerprint: z.string().startsWith('sha256:'),
    sensitive_fingerprint: z.string().startsWith('sha256:').optional(),
    depends_on: z.record(z.string(), z.string().startsWith('sha256:').nullable()).optional(),
    drift: z.array(changeSchema).optional(),
  })
  .superRefine((plan, ctx) => {
    // Every change's object is pinned: a plan that leaves one out would apply it unchecked.
    if (plan.depends_on) {
      plan.changes.forEach((c, i) => {
        if (!(c.address in plan.depends_on!)) ctx.addIssue({ code: 'custom', path: ['changes', i, 'address'], message: `${c.address} is missing from depends_on` });
      });
    }
    // A hand-edited plan whose summary disagrees with its changes would make the guards (max_deletes) lie.
    for (const action of ['create', 'update', 'delete'] as const) {
      const listed = plan.changes.filter((c) => c.action === action).length;
      if (plan.summary[action] !== listed) {
        ctx.addIssue({ code: 'custom', path: ['summary', action], message: `is ${plan.summary[action]} but the plan lists ${listed} ${action} change(s)` });
      }
    }
  });

/**
 * A saved JSON plan, validated. Throws an Error that says what is wrong: not JSON, another format version, or
 * each missing or malformed field with its location (`changes[3].action: …`).
 */
export function parsePlanJson(text: string): PlanDocument {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`saved plan is not valid JSON: ${(err as Error).message}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('saved plan is not a JSON object');
  // The version first: a plan from another version fails on its version, not on a list of field differences.
  const version = (data as Record<string, unknown>).format_version;
  if (version === undefined) throw new Error('saved plan has no format_version: not a stream-sync plan');
  if (version !== FORMAT_VERSION) {
    throw new Error(`saved plan has format_version ${JSON.stringify(version)}; this stream-sync reads format_version "${FORMAT_VERSION}"`);
  }
  const parsed = planSchema.safeParse(data, {
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is missing' : undefined),
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 10).map((i) => `${location(i.path)}: ${i.message}`);
    const extra = parsed.error.issues.length - problems.length;
    throw new Error(`saved plan is invalid: ${problems.join('; ')}${extra > 0 ? `; and ${extra} more problem(s)` : ''}`);
  }
  const plan = parsed.data;
  return {
    ...plan,
    format_version: FORMAT_VERSION,
    // Re-masked on the way in too: a plan file edited to carry a secret must not print it later.
    changes: plan.changes.map((c) => ({ ...c, fields: c.fields.map(fieldJson) })),
    ...(plan.drift ? { drift: plan.drift.map((c) => ({ ...c, fields: c.fields.map(fieldJson) })) } : {}),
  };
}

/** `changes[3].fields[0].before` from zod's path segments. */
function location(path: readonly PropertyKey[]): string {
  if (!path.length) return '(plan)';
  return path.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : `${i ? '.' : ''}${String(seg)}`)).join('');
}
