import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { type Change, type DesiredObject, type DesiredState, isRecord, type LiveObject, type LiveState, type PlanDocument, type PlanWarning, type SourceLocation, type WriteOnlyMemory } from '../core/model.js';
import { canonicalJson, sha256 } from '../core/canonical.js';
import { caseDuplicates, deletedFields, diffFields } from './diff.js';
import { kindIn, kindOfAddress, type PlanKind } from './facets.js';
import { levelsFor, orderCache, phaseLevels, upsertingKinds } from './order.js';
import { isDrift, reportOnlyMatcher } from './report-only.js';
import { fromPointer, getAt, matchesAny, matchesGlob } from '../core/pointer.js';

/** One change of a plan with what the executor needs to carry it out (never printed). */
export interface PlannedChange extends Change {
  desired?: DesiredObject;
  live?: LiveObject;
}

/** The plan: the printable document, and the same changes grouped into dependency levels for apply. */
export interface Plan {
  document: PlanDocument;
  levels: PlannedChange[][];
}

export interface PlanInput {
  desired: DesiredState;
  live: LiveState;
  memory: WriteOnlyMemory;
  target: { base_url: string; api_key: string };
  /** Every kind, in plan order (the kinds registry): the planner is handed it, never imports it. */
  registry: readonly PlanKind[];
  /** `--target`: only changes to these addresses (globs). */
  targets?: readonly string[];
  /** Only these kinds (the read-back after apply); default: every kind of the registry. */
  kinds?: readonly PlanKind[];
}

/** The order levels of a registry for the kinds a plan creates or updates. */
const levelsOf = orderCache(phaseLevels);

/** The plan that makes `live` match `desired`. Pure: same inputs, same plan. */
export function buildPlan(input: PlanInput): Plan {
  const { desired, live, memory } = input;
  const { registry } = input;
  const kinds = (input.kinds ?? registry).filter((k) => desired.managedKinds.has(k.kind));
  const { policy } = desired;
  const changes: PlannedChange[] = [];
  const warnings: PlanWarning[] = [];
  let unchanged = 0;
  const inTarget = targetFilter(input.targets, desired, registry);

  for (const spec of kinds) {
    const liveOfKind = [...live.objects.values()].filter((o) => o.kind === spec.kind);
    const desiredOfKind = [...desired.objects.values()].filter((o) => o.kind === spec.kind);
    for (const want of desiredOfKind) {
      if (matchesGlob(policy.ignore, want.address)) {
        warnings.push({ address: want.address, message: 'declared in the file but matched by policy.ignore: left alone' });
        continue;
      }
      if (!inTarget(want.address)) continue;
      warnings.push(...caseDuplicateWarnings(spec, want));
      const have = live.objects.get(want.address);
      const ignoredFields = ignoredFieldsOf(policy, want);
      let fields = diffFields(want, have, { spec, ignoredFields, memory });
      // Ignored fields are neither compared nor written: apply works from the desired object without them.
      const effective = ignoredFields.length ? withoutFields(want, ignoredFields) : want;
      if (have && spec.immutableFields?.length) {
        const frozen = fields.filter((f) => matchesAny(spec.immutableFields!, f.path));
        for (const f of frozen) {
          warnings.push({ address: want.address, message: `${f.path} cannot be changed after creation (live: ${JSON.stringify(f.before)}, file: ${JSON.stringify(f.after)}); delete and recreate the object to change it` });
        }
        fields = fields.filter((f) => !frozen.includes(f));
      }
      if (!have || fields.length) {
        const change: PlannedChange = { address: want.address, kind: spec.kind, action: have ? 'update' : 'create', fields, desired: effective, ...(have ? { live: have } : {}) };
        changes.push(change);
        for (const message of spec.warnings?.(change) ?? []) warnings.push({ address: want.address, message });
      } else unchanged++;
    }
    const pruned = prunes(spec, policy.prune, registry);
    for (const have of liveOfKind) {
      if (desired.objects.has(have.address) || have.builtin || spec.isBuiltin?.(have)) continue;
      if (matchesGlob(policy.ignore, have.address) || !inTarget(have.address)) continue;
      if (!pruned) {
        if (pruned === undefined) warnings.push({ address: have.address, message: 'not declared in the file, and the API cannot delete it: left as is' });
        continue;
      }
      if (matchesGlob(policy.protect, have.address)) {
        warnings.push({ address: have.address, message: 'not declared in the file, but protected by policy.protect: not deleted' });
        continue;
      }
      changes.push({ address: have.address, kind: spec.kind, action: 'delete', fields: deletedFields(spec, have, memory), live: have });
    }
  }

  warnings.push(...unmatchedPatterns(desired, live, kinds));
  const rank = new Map(registry.map((k, i) => [k.kind, i]));
  const levels = levelsFor(changes, levelsOf(registry, upsertingKinds(changes))).map((level) =>
    level.sort((a, b) => rank.get(a.kind)! - rank.get(b.kind)! || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)),
  );
  const ordered = levels.flat();
  const count = (action: string) => ordered.filter((c) => c.action === action).length;
  // Report-only objects: the app's own changes are reported, not executed (the file's changes still are).
  const reportOnly = reportOnlyMatcher(policy, registry);
  const drift = ordered.filter((c) => reportOnly(c.kind, c.address) && isDrift(c, c.desired, memory));
  for (const c of drift) {
    const what = c.action === 'update' ? `changed (${c.fields.map((f) => f.path).join(', ')})` : c.action === 'create' ? 'deleted' : 'created';
    warnings.push({ address: c.address, message: `${what} in the app since the file's version was applied: reported, not corrected (policy.report_only); change the file to take it over, or apply it as the file says by removing the address from report_only` });
  }
  if (drift.length) {
    const kept = new Set(drift);
    for (const level of levels) level.splice(0, level.length, ...level.filter((c) => !kept.has(c)));
    ordered.splice(0, ordered.length, ...ordered.filter((c) => !kept.has(c)));
  }
  const guard = deleteGuardWarning(count('delete'), policy.max_deletes);
  // First, so a pull request's comment shows it even when the Markdown cuts warnings short.
  if (guard) warnings.unshift(guard);
  const sensitive = sensitiveFingerprint(ordered, memory);
  return {
    levels,
    document: {
      format_version: '1',
      target: { base_url: input.target.base_url, api_key: input.target.api_key, app_name: live.appName ?? null },
      summary: { create: count('create'), update: count('update'), delete: count('delete'), unchanged },
      changes: ordered.map(({ address, kind, action, fields }) => ({ address, kind, action, fields })),
      warnings,
      live_fingerprint: liveFingerprint(live, kinds),
      ...(sensitive ? { sensitive_fingerprint: sensitive } : {}),
      depends_on: dependencies(ordered.map((c) => c.address), desired, live),
      ...(drift.length ? { drift: drift.map(({ address, kind, action, fields }) => ({ address, kind, action, fields })) } : {}),
    },
  };
}

/** Words of a case-insensitive set (a `word` block list) that the API takes for one word: likely a mistake. */
function caseDuplicateWarnings(spec: PlanKind, want: DesiredObject): PlanWarning[] {
  const out: PlanWarning[] = [];
  for (const pointer of spec.caseInsensitiveFields?.(want.fields) ?? []) {
    const items = getAt(want.fields, pointer);
    if (!Array.isArray(items)) continue;
    for (const group of caseDuplicates(items)) {
      out.push({ address: want.address, message: `${pointer} lists ${group.map((w) => JSON.stringify(w)).join(' and ')}, which differ only in case: Stream matches words whatever their case, so they are one word; keep one` });
    }
  }
  return out;
}

/** The `policy.ignore_fields` pointers that apply to a declared object (by its kind, or a glob of addresses). */
function ignoredFieldsOf(policy: DesiredState['policy'], obj: DesiredObject): string[] {
  return Object.entries(policy.ignore_fields)
    .filter(([key]) => key === obj.kind || matchesGlob([key], obj.address))
    .flatMap(([, paths]) => paths);
}

/**
 * What a plan touching `addresses` depends on (`depends_on`): for each address, `null` when there is no live
 * object (a create), else a digest of the live object, limited, when the file declares it, to the fields the file
 * declares (less `policy.ignore_fields`): those are what an update writes, so a change to any other field of the
 * object, or to any other object, leaves the plan as it was reviewed.
 */
export function dependencies(addresses: readonly string[], desired: DesiredState, live: LiveState): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const address of addresses) {
    const have = live.objects.get(address);
    if (!have) {
      out[address] = null;
      continue;
    }
    const want = desired.objects.get(address);
    const basis = want ? withoutFields(want, ignoredFieldsOf(desired.policy, want)).fields : undefined;
    out[address] = sha256(canonicalJson(basis ? projection(have.fields, basis) : have.fields));
  }
  return out;
}

/** `value` cut down to the keys `shape` has, recursively through plain objects (arrays and values whole). */
function projection(value: unknown, shape: unknown): unknown {
  if (!isRecord(shape) || !isRecord(value) || Object.keys(shape).length === 0) return value ?? null;
  return Object.fromEntries(Object.keys(shape).map((k) => [k, projection(value[k], shape[k])]));
}

/**
 * A plan `apply` will refuse says so when it is made, so the pull request shows what the merge will do: more
 * deletes than `policy.max_deletes` (apply refuses before any write unless `--allow-deletes N` raises the limit).
 */
function deleteGuardWarning(deletes: number, maxDeletes: number | undefined): PlanWarning | undefined {
  if (maxDeletes === undefined || deletes <= maxDeletes) return undefined;
  return { address: 'policy.max_deletes', message: `the plan deletes ${deletes} object${deletes === 1 ? '' : 's'}, more than policy.max_deletes (${maxDeletes}): apply will refuse it before any write unless run with --allow-deletes ${deletes}` };
}

/**
 * The values a plan prints masked are still what it writes: a digest of each sensitive value's keyed fingerprint
 * (the state file's HMAC, keyed by the app's API secret), so a saved plan pins them without revealing them.
 * Undefined when the plan writes none.
 */
export function sensitiveFingerprint(changes: readonly PlannedChange[], memory: WriteOnlyMemory): string | undefined {
  const parts = changes.flatMap((c) => c.fields.filter((f) => f.sensitive).map((f) => `${c.address}\u0000${f.path}\u0000${memory.fingerprint(c.address, f.path, getAt(c.desired?.fields, f.path))}`));
  return parts.length ? sha256(parts.join('\n')) : undefined;
}

/**
 * `--target`: the addresses it names, and (as Terraform does) the declared objects they depend on, so a
 * targeted user gets its new role too. Deletes are never pulled in: only a target names a delete.
 */
function targetFilter(targets: readonly string[] | undefined, desired: DesiredState, registry: readonly PlanKind[]): (address: string, action?: string) => boolean {
  if (!targets?.length) return () => true;
  const included = new Set<string>();
  const visit = (address: string) => {
    if (included.has(address)) return;
    included.add(address);
    const obj = desired.objects.get(address);
    if (obj) for (const ref of kindIn(registry, obj.kind).refs?.(obj.fields) ?? []) visit(ref);
  };
  for (const obj of desired.objects.values()) if (matchesGlob(targets, obj.address)) visit(obj.address);
  return (address) => matchesGlob(targets, address) || included.has(address);
}

/** The desired object without the fields `policy.ignore_fields` names. */
function withoutFields(obj: DesiredObject, pointers: readonly string[]): DesiredObject {
  const fields = structuredClone(obj.fields);
  for (const p of pointers) {
    const segs = fromPointer(p);
    let cur: unknown = fields;
    for (const seg of segs.slice(0, -1)) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    if (cur && typeof cur === 'object') delete (cur as Record<string, unknown>)[segs[segs.length - 1]!];
  }
  return { ...obj, fields };
}

/**
 * A protect, ignore or ignore_fields pattern that matches nothing is likely a typo: say so rather than silently
 * protect or ignore nothing.
 */
function unmatchedPatterns(desired: DesiredState, live: LiveState, kinds: readonly PlanKind[]): PlanWarning[] {
  const managed = new Set(kinds.map((k) => k.kind));
  const addresses = [...live.objects.keys(), ...desired.objects.keys()];
  const out: PlanWarning[] = [];
  const lists: [string, readonly string[]][] = [
    ['policy.protect', desired.policy.protect],
    ['policy.ignore', desired.policy.ignore],
    // A key of ignore_fields is a kind's name (always fine for a managed kind) or an address glob.
    ['policy.ignore_fields', Object.keys(desired.policy.ignore_fields).filter((k) => k.includes('/'))],
  ];
  for (const [where, patterns] of lists) {
    for (const pattern of patterns) {
      const one = [pattern];
      if (!managed.has(pattern.split('/')[0]!) || addresses.some((a) => matchesGlob(one, a))) continue;
      out.push({ address: pattern, message: `${where} pattern matches no object in the file or the app (a typo?)` });
    }
  }
  return out;
}

/**
 * Whether undeclared live objects of this kind are deleted: true when its section is in `policy.prune`;
 * undefined for a kind the API cannot delete whose parent section is pruned (so the plan warns); false otherwise.
 */
function prunes(spec: PlanKind, prune: readonly string[], registry: readonly PlanKind[]): boolean | undefined {
  if (spec.section) return spec.prunable && prune.includes(spec.section);
  const parent = spec.declaredIn ? kindIn(registry, spec.declaredIn) : undefined;
  return parent?.section && prune.includes(parent.section) ? undefined : false;
}

/** A digest of the live objects a plan was computed from: a saved plan is refused once it no longer matches. */
export function liveFingerprint(live: LiveState, kinds: readonly PlanKind[]): string {
  const managed = new Set(kinds.map((k) => k.kind));
  const objects = [...live.objects.values()]
    .filter((o) => managed.has(o.kind))
    .sort((a, b) => (a.address < b.address ? -1 : 1))
    .map((o) => [o.address, o.fields]);
  return sha256(canonicalJson(objects));
}

/** Where a reference of a declared object is written (`address`, `ref`); undefined: at the object. */
export type RefLocator = (address: string, ref: string) => SourceLocation | undefined;

export interface ReferenceOptions {
  locate?: RefLocator;
  /** Kinds the file does not manage that were read (into `live`) only to check references into them. */
  alsoRead?: ReadonlySet<string>;
}

/**
 * References to objects that are neither declared nor live (a grant or a user naming a role that does not
 * exist): located errors before anything is written. Only references into managed kinds (and `alsoRead`) can be
 * checked.
 */
export function checkReferences(desired: DesiredState, live: LiveState, registry: readonly PlanKind[], opts: ReferenceOptions = {}): void {
  const issues = referenceIssues(desired, live, registry, opts);
  if (issues.length) throw new ConfigError(issues);
}

/** The references `checkReferences` refuses, as issues, each at the line that writes it when known. */
export function referenceIssues(desired: DesiredState, live: LiveState, registry: readonly PlanKind[], opts: ReferenceOptions = {}): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const obj of desired.objects.values()) {
    for (const ref of kindIn(registry, obj.kind).refs?.(obj.fields) ?? []) {
      const refKind = kindOfAddress(ref);
      const managed = desired.managedKinds.has(refKind);
      if (!managed && !opts.alsoRead?.has(refKind)) continue;
      if (desired.objects.has(ref)) continue;
      const location = opts.locate?.(obj.address, ref) ?? obj.location;
      const existing = live.objects.get(ref);
      if (existing) {
        const section = kindIn(registry, refKind).section;
        const deleted = managed && !existing.builtin && section !== undefined && desired.policy.prune.includes(section) && !matchesGlob(desired.policy.protect, ref) && !matchesGlob(desired.policy.ignore, ref);
        if (deleted) issues.push({ message: `${obj.address} refers to ${ref}, which the file does not declare and policy.prune would delete: declare it, or stop referring to it`, location });
        continue;
      }
      issues.push({ message: `${obj.address} refers to ${ref}, which is neither declared in the file nor present in the app`, location });
    }
  }
  return issues;
}

/**
 * Stream's published limits (15 block lists, 25 custom roles, 25 push providers): a plan whose creates would
 * leave the app holding more is refused before any write, located at the objects it would create.
 */
export function quotaIssues(plan: Plan, live: LiveState, registry: readonly PlanKind[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const changes = plan.levels.flat();
  for (const spec of registry) {
    const quota = spec.quota;
    if (!quota) continue;
    const creates = changes.filter((c) => c.kind === spec.kind && c.action === 'create');
    if (creates.length === 0) continue;
    const deleted = new Set(changes.filter((c) => c.kind === spec.kind && c.action === 'delete').map((c) => c.address));
    const counted = (o: LiveObject) => quota.builtinsCount || !(o.builtin || spec.isBuiltin?.(o));
    const kept = [...live.objects.values()].filter((o) => o.kind === spec.kind && !deleted.has(o.address) && counted(o)).length;
    const total = kept + creates.length;
    if (total <= quota.max) continue;
    const names = creates.map((c) => c.address);
    issues.push({
      message: `the plan would leave the app with ${total} ${quota.what} (${kept} kept in the app, ${creates.length} to create: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}), more than Stream's limit of ${quota.max}: declare fewer, or add ${spec.section ?? spec.kind} to policy.prune to delete the app's undeclared ones`,
      location: creates[0]!.desired?.location,
    });
  }
  return issues;
}
