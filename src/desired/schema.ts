import { z } from 'zod';
import { KINDS } from '../kinds/registry.js';

const KIND_NAMES = KINDS.map((k) => k.kind);
const SECTIONS = KINDS.flatMap((k) => (k.section ? [k.section] : []));
/** An address or address glob: it must start with a kind's name, so a typo cannot silently match nothing. */
const addressGlob = z
  .string()
  .min(1)
  .refine((g) => KIND_NAMES.includes(g.split('/')[0]!), {
    message: `an address starts with a kind: ${KIND_NAMES.join(', ')} (e.g. role/legacy-admin, blocklist/tmp-*)`,
  });

/** Sections `policy.prune` may name: those of kinds the API can delete. */
export const PRUNABLE_SECTIONS = KINDS.filter((k) => k.section && k.prunable).map((k) => k.section!);

export const policySchema = z
  .object({
    /** Kinds where the file is authoritative: undeclared live objects are deleted. */
    prune: z.array(z.enum(PRUNABLE_SECTIONS as [string, ...string[]])).optional(),
    /** A plan with more deletes refuses to apply unless `--allow-deletes N`. */
    max_deletes: z.number().int().min(0).optional(),
    /** The percentage of each endpoint's rate-limit window stream-sync may use (`--rate-share` wins over it). */
    rate_share: z.number().int().min(1).max(100).optional(),
    /** Addresses (globs) never deleted, whatever the file says. */
    protect: z.array(addressGlob).optional(),
    /** Addresses (globs) left alone and never shown as drift. */
    ignore: z.array(addressGlob).optional(),
    /** Address (glob) → JSON pointers of fields never compared nor written. */
    /** Kind, address or address glob → JSON pointers of fields never compared nor written. */
    ignore_fields: z.record(addressGlob, z.array(z.string().regex(/^\//, 'a field is a JSON pointer such as /settings/webhook_url'))).optional(),
    user_delete: z.enum(['soft', 'pruning', 'hard']).optional(),
    check_user_id: z.string().min(1).optional(),
    /**
     * Sections or addresses (globs) where the file wins but the app is not corrected (Argo CD without self-heal):
     * a change made to the file is applied; a change made in the app since is reported as drift, not reverted.
     */
    report_only: z
      .array(z.string().min(1).refine((v) => SECTIONS.includes(v) || KIND_NAMES.includes(v.split('/')[0]!), { message: 'a section (e.g. roles) or an address glob (e.g. role/support-*)' }))
      .optional(),
    /** Environment variables (names or globs such as `*_TOKEN`) whose `${env:…}` values are secret: masked everywhere. */
    sensitive_variables: z.array(z.string().regex(/^[A-Za-z0-9_*]+$/, 'a variable name, or a glob such as *_TOKEN')).optional(),
  })
  .strict();

/**
 * The desired-state file: `version: 1`, one section per kind, and `policy`. The single source of the validator,
 * the TypeScript types and `schema/stream-sync.schema.json`.
 */
export function fileSchema() {
  const sections: Record<string, z.ZodType> = {};
  for (const k of KINDS) if (k.section && k.schema) sections[k.section] = k.schema.optional();
  return z
    .object({
      version: z.literal(1, 'version must be 1'),
      ...sections,
      policy: policySchema.optional(),
      /** In an overlay (a later -f layer): addresses an earlier layer declares that this environment does not have. */
      remove: z.array(z.string().min(1).refine((a) => KIND_NAMES.includes(a.split('/')[0]!), { message: `an address starts with a kind: ${KIND_NAMES.join(', ')}` })).optional(),
    })
    .strict();
}

export const SINGLETON_SECTIONS = ['policy', ...KINDS.filter((k) => k.singleton && k.section).map((k) => k.section!)];
