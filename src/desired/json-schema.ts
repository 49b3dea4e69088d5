import { z } from 'zod';
import { KINDS } from '../kinds/registry.js';
import type { KindSpec } from '../kinds/types.js';
import { fileSchema } from './schema.js';

/**
 * The schema's stable name. Not fetched from anywhere: editors map it to the installed file (e.g. VS Code's
 * `yaml.schemas`), and a file that names it keeps working when stream-sync moves (docs/outputs.md).
 */
export const SCHEMA_ID = 'https://stream-sync.dev/schema/v1/stream-sync.schema.json';

type Node = Record<string, unknown>;

/**
 * Descriptions of the keys the file schema (src/desired/schema.ts) documents only in comments, which zod cannot
 * see. A description the zod schema carries (`.describe()`) always wins over these.
 */
const TOP_LEVEL: Record<string, string> = {
  version: 'The file format version: 1.',
  policy: 'How the file governs the app: what is pruned, protected, ignored, and the limits a plan must respect.',
  remove: 'In an overlay (a later -f layer): addresses an earlier layer declares that this environment does not have.',
};
const POLICY: Record<string, string> = {
  prune: 'Kinds where the file is authoritative: undeclared live objects are deleted.',
  max_deletes: 'A plan with more deletes refuses to apply unless `--allow-deletes N`.',
  rate_share:
    "The percentage (1–100, default 50) of each Stream endpoint's rate-limit window stream-sync may use; it uses less when the app's other clients need more. `--rate-share` wins over it.",
  protect: 'Addresses (globs) never deleted, whatever the file says.',
  ignore: 'Addresses (globs) left alone and never shown as drift.',
  ignore_fields: 'Kind, address or address glob → JSON pointers of fields never compared nor written.',
  user_delete: 'How users are deleted: soft (default; restorable), pruning (erases personal fields) or hard (with their messages and conversations).',
  check_user_id: 'The user push checks (CheckPush in `check` and `apply --verify`) render templates for.',
  report_only:
    'Sections or addresses (globs) where the file wins but the app is not corrected: a change made to the file is applied; a change made in the app since is reported as drift, not reverted.',
  sensitive_variables: 'Environment variables (names or globs such as `*_TOKEN`) whose `${env:…}` values are secret: masked everywhere.',
};

/** A section's description when its zod schema has none: what it declares and how objects are addressed. */
function sectionDescription(k: KindSpec): string {
  if (k.singleton) return `The ${k.kind} (a singleton, addressed \`${k.kind}\`): only the fields declared are managed.`;
  const id = k.identityFields.length ? k.identityFields.map((f) => `<${f}>`).join('/') : '<name>';
  const prune = k.prunedByInventory
    ? '; with `policy.prune` listing this section, only those stream-sync managed before are deleted when they leave the file'
    : k.prunable
      ? '; undeclared ones are deleted only when `policy.prune` lists this section'
      : '';
  return `${k.kind} objects, one per item (addressed \`${k.kind}/${id}\`)${prune}.`;
}

const withDescription = (node: unknown, text: string | undefined): unknown =>
  node && typeof node === 'object' && text && !(node as Node).description ? { ...(node as Node), description: text } : node;

/** The description a list section's items carry (`z.array(item.describe(…))`), lifted to the section. */
const itemDescription = (node: unknown): string | undefined => {
  const items = (node as Node | undefined)?.items as Node | undefined;
  return typeof items?.description === 'string' ? items.description : undefined;
};

/** The JSON Schema of the desired-state file, generated from the same zod schema as the validator. */
export function desiredStateJsonSchema(): Record<string, unknown> {
  const { $schema, ...schema } = z.toJSONSchema(fileSchema(), { target: 'draft-7', unrepresentable: 'any', io: 'input' }) as Node;
  const properties = { ...(schema.properties as Record<string, Node>) };
  for (const [key, text] of Object.entries(TOP_LEVEL)) if (properties[key]) properties[key] = withDescription(properties[key], text) as Node;
  for (const k of KINDS) {
    if (!k.section || !properties[k.section]) continue;
    properties[k.section] = withDescription(properties[k.section], itemDescription(properties[k.section]) ?? sectionDescription(k)) as Node;
  }
  const policy = properties.policy;
  if (policy?.properties) {
    const keys = { ...(policy.properties as Record<string, Node>) };
    for (const [key, text] of Object.entries(POLICY)) if (keys[key]) keys[key] = withDescription(keys[key], text) as Node;
    properties.policy = { ...policy, properties: keys };
  }
  return {
    $schema,
    $id: SCHEMA_ID,
    ...schema,
    properties,
    title: 'stream-sync desired state',
    description: "A Stream app's configuration, kept in Git and applied by stream-sync. Field names are the Stream API's own.",
  };
}

export const renderJsonSchema = () => `${JSON.stringify(desiredStateJsonSchema(), null, 2)}\n`;
