import { ConfigError, UsageError } from '../core/errors.js';
import type { DesiredObject, DesiredState, LiveObject, LiveState, PlanDocument, PlanWarning, Rec } from '../core/model.js';
import { matchesAny, matchesGlob, toPointer } from '../core/pointer.js';
import { KINDS, kindSpec, kindsOfSection } from '../kinds/registry.js';
import type { KindSpec } from '../kinds/types.js';
import { clean } from '../plan/render/format.js';
import { DEFAULT_MAX_CHARS, esc } from '../plan/render/markdown.js';
import { type PlanFormat, renderJson, renderPlan } from '../plan/render/index.js';
import { planFor } from '../runtime/engine.js';
import type { Session } from '../runtime/session.js';
import { DEFAULT_SECTIONS, EXPORTABLE_SECTIONS, liveAsFile } from './export.js';
import type { Output } from './output.js';

/** A `${env:…}` placeholder `toFile` writes for a value the API never returns. */
const PLACEHOLDER = /^\$\{env:[A-Za-z0-9_]+\}$/;

export interface DiffFlags {
  format: PlanFormat;
  /** Sections to compare (default: those `export` writes). */
  kinds?: string[];
  /** Exit 2 when the plan has changes. */
  detailedExitcode?: boolean;
  /** `--target`: only these addresses (globs). */
  targets?: string[];
  /** Plan the target's objects the source lacks as deletes (display only: diff never writes). */
  prune?: boolean;
  /** The environments' names, as the output shows them. */
  names?: { source: string; target: string };
}

type Side = Pick<Session, 'deps' | 'client'>;

/** The source's live configuration as a desired state, and what was withheld from it. */
interface Promoted {
  desired: DesiredState;
  sections: string[];
  appName?: string;
  /** Per address, the fields taken out (secrets and write-only values the source never reveals). */
  withheld: Map<string, string[]>;
}

/**
 * `diff --env SOURCE --env TARGET`: what would change in the target app if it matched the source app's live
 * configuration, as a plan (text, JSON or Markdown). Secrets and write-only fields are never read out of the
 * source, compared or shown; the app's name is per app; users are never compared. The target's objects the
 * source lacks are warnings, not deletes, unless `prune`. Writes nothing to either app (nor any state file).
 * 0 no changes (or changes without --detailed-exitcode), 2 changes with it; errors throw (exit 1).
 */
export async function runDiff(flags: DiffFlags, source: Side, target: Side, out: Output): Promise<number> {
  const sections = [...new Set(flags.kinds ?? DEFAULT_SECTIONS)];
  const unknown = sections.filter((s) => !EXPORTABLE_SECTIONS.includes(s));
  if (unknown.length) throw new UsageError(`--kinds: cannot compare ${unknown.join(', ')}; comparable kinds: ${EXPORTABLE_SECTIONS.join(', ')}`);
  const names = flags.names ?? { source: 'source', target: 'target' };
  const [from, to] = [source.deps.target, target.deps.target];
  if (from.base_url === to.base_url && from.api_key === to.api_key) {
    throw new UsageError(`${names.source} and ${names.target} are the same app (api key ${from.api_key} at ${from.base_url}): there is nothing to compare`);
  }
  await Promise.all([source.client.seedFromApi(), target.client.seedFromApi()]);
  const promoted = await readSource(source, sections, Boolean(flags.prune));
  let planned;
  try {
    planned = await planFor(target.deps, promoted.desired, { targets: flags.targets });
  } catch (err) {
    // A reference the target cannot satisfy (a grant naming a permission it lacks): say which promotion it blocks.
    if (err instanceof ConfigError) throw new ConfigError(err.issues.map((i) => ({ ...i, message: `${names.source} → ${names.target}: ${i.message}` })));
    throw err;
  }
  const document = { ...planned.plan.document, warnings: promotionWarnings(planned.plan.document, planned.live, promoted, flags, names) };
  const header = { names, promoted, source: from, target: to, prune: Boolean(flags.prune) };
  out.stdout(render(document, flags.format, header, out.color));
  return flags.detailedExitcode && document.changes.length > 0 ? 2 : 0;
}

/**
 * The source app's objects of `sections`, read as `export` reads them and in the shape it writes (built-ins left
 * out), then turned into desired objects as the loader would, less every secret and write-only field.
 */
async function readSource(source: Side, sections: string[], prune: boolean): Promise<Promoted> {
  const managedKinds = new Set(sections.flatMap((s) => kindsOfSection(s).map((k) => k.kind)));
  const policy = { prune: prune ? sections.filter((s) => kindsOfSection(s)[0]!.prunable) : [], protect: [], ignore: [], ignore_fields: {} };
  const live = await liveAsFile(source.deps.api, sections);
  const objects = new Map<string, DesiredObject>();
  const withheld = new Map<string, string[]>();
  for (const [section, value] of live.sections) {
    // The app's entry drops `expect_name` here (it names the source app), and no guard is set from it.
    for (const entry of kindsOfSection(section)[0]!.entries!(value)) {
      const kind = kindSpec(entry.kind);
      const removed: string[] = [];
      const fields = withoutSecrets(entry.fields, [...kind.secretFields, ...kind.writeOnlyFields], removed);
      const address = kind.address(fields);
      objects.set(address, { kind: entry.kind, address, fields, sensitive: [] });
      if (removed.length) withheld.set(address, removed);
    }
  }
  return { desired: { managedKinds, objects, policy, files: [] }, sections, appName: live.appName, withheld };
}

const isBuiltin = (spec: KindSpec, o: LiveObject) => o.builtin === true || spec.isBuiltin?.(o) === true;

const REMOVED = Symbol('removed');

/**
 * `fields` without what the patterns name (and without any `${env:…}` placeholder, wherever a kind wrote one);
 * an object left empty by the removal goes too, so nothing half-declared is compared. The pointers taken out are
 * pushed to `removed`.
 */
function withoutSecrets(fields: Rec, patterns: readonly string[], removed: string[]): Rec {
  const strip = (value: unknown, segments: string[]): unknown => {
    const pointer = toPointer(segments);
    if ((segments.length && matchesAny(patterns, pointer)) || (typeof value === 'string' && PLACEHOLDER.test(value))) {
      removed.push(pointer);
      return REMOVED;
    }
    if (Array.isArray(value)) return value.map((v, i) => strip(v, [...segments, String(i)])).filter((v) => v !== REMOVED);
    if (value === null || typeof value !== 'object') return value;
    const out: Rec = {};
    const keys = Object.keys(value);
    for (const key of keys) {
      const v = strip((value as Rec)[key], [...segments, key]);
      if (v !== REMOVED) out[key] = v;
    }
    return keys.length > 0 && Object.keys(out).length === 0 && segments.length > 0 ? REMOVED : out;
  };
  return strip(fields, []) as Rec;
}

/**
 * The plan's warnings, for a promotion: a create that leaves out what the source withheld says so, and an object
 * only the target has is named as such (the planner's own message about it speaks of "the file").
 */
function promotionWarnings(plan: PlanDocument, live: LiveState, promoted: Promoted, flags: DiffFlags, names: { source: string; target: string }): PlanWarning[] {
  const { desired } = promoted;
  const deleted = new Set(plan.changes.filter((c) => c.action === 'delete').map((c) => c.address));
  const inTarget = (address: string) => !flags.targets?.length || matchesGlob(flags.targets, address);
  const rank = new Map(KINDS.map((k, i) => [k.kind, i]));
  const onlyInTarget = [...live.objects.values()]
    .filter((o) => desired.managedKinds.has(o.kind) && !desired.objects.has(o.address) && !deleted.has(o.address) && inTarget(o.address))
    .filter((o) => !isBuiltin(kindSpec(o.kind), o))
    .sort((a, b) => rank.get(a.kind)! - rank.get(b.kind)! || (a.address < b.address ? -1 : 1));
  const extra = new Set(onlyInTarget.map((o) => o.address));
  const withheld = plan.changes
    .filter((c) => c.action === 'create' && promoted.withheld.has(c.address))
    .map((c) => ({
      address: c.address,
      message: `created without ${promoted.withheld.get(c.address)!.join(', ')}: ${names.source}'s secret and write-only values are never copied; declare ${names.target}'s own in its overlay`,
    }));
  const only = onlyInTarget.map((o) => {
    const spec = kindSpec(o.kind);
    const deletable = spec.section !== undefined && spec.prunable;
    const message = deletable
      ? `only in ${names.target}: ${names.source} has no such object; a promotion leaves it as is (--prune shows it as a delete)`
      : `only in ${names.target}: ${names.source} has no such object, and it is never pruned: left as is`;
    return { address: o.address, message };
  });
  return [...plan.warnings.filter((w) => !extra.has(w.address)), ...withheld, ...only];
}

interface Header {
  names: { source: string; target: string };
  promoted: Promoted;
  source: { base_url: string; api_key: string };
  target: { base_url: string; api_key: string };
  prune: boolean;
}

function render(document: PlanDocument, format: PlanFormat, h: Header, color: boolean): string {
  const { names } = h;
  const title = `Promotion: ${names.source} (api key ${h.source.api_key}) → ${names.target} (api key ${h.target.api_key})`;
  const compared = `Compared: ${h.promoted.sections.join(', ')} (users are never compared).`;
  const excluded = `Not compared: secrets and write-only fields (${names.source}'s values are never read out, compared or shown) and the app's name; ${
    h.prune ? `${names.target}'s objects that ${names.source} lacks are shown as deletes` : `${names.target}'s objects that ${names.source} lacks are warnings, not deletes (--prune shows them as deletes)`
  }.`;
  const closing = `(diff: nothing was written to ${names.source} or ${names.target})`;
  switch (format) {
    case 'json': {
      const { format_version, ...rest } = JSON.parse(renderJson(document)) as Rec;
      const side = (name: string, t: { base_url: string; api_key: string }, appName: string | null | undefined) => ({ environment: name, base_url: t.base_url, api_key: t.api_key, app_name: appName ?? null });
      const promotion = {
        source: side(names.source, h.source, h.promoted.appName),
        target: side(names.target, h.target, document.target.app_name),
        kinds: h.promoted.sections,
        prune: h.prune,
        excluded: ['secret fields', 'write-only fields', 'app name', 'users'],
      };
      return `${JSON.stringify({ format_version, promotion, ...rest }, null, 2)}\n`;
    }
    case 'markdown': {
      const head = [`**${esc(title)}**`, '', esc(compared), esc(excluded), '', ''].join('\n');
      return `${head}${renderPlan(document, 'markdown', { maxChars: DEFAULT_MAX_CHARS - head.length })}`;
    }
    default:
      return `${[title, compared, excluded, ''].map(clean).join('\n')}\n${renderPlan(document, 'text', { color })}${closing}\n`;
  }
}
