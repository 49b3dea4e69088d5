import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue, formatLocation } from '../core/errors.js';
import { findKind, kindOfSection, kindSpec, kindsOfSection, secretFieldsOf } from '../kinds/registry.js';
import { patternOverlaps } from '../core/pointer.js';
import { kindOfAddress } from '../plan/facets.js';
import type { DesiredObject, DesiredState, Policy, Rec, SourceLocation } from '../core/model.js';
import { fileSchema, SINGLETON_SECTIONS } from './schema.js';
import type { ParsedFile } from './yaml/document.js';
import { parseYamlFile } from './yaml/file.js';
import { formatYamlPath, type YamlPath } from './yaml/locate.js';
import { type Layer, mergeLayers, substitutionsUnder } from './layers.js';
import { closest, didYouMean, keysAt } from './suggest.js';
import { KINDS } from '../kinds/registry.js';

/** The desired state as loaded: with what the file may get wrong but the app may make right (warnings). */
export interface LoadedDesired extends DesiredState {
  /**
   * Located problems that do not stop validate (exit 0) but that plan may refuse once it sees the app: a reference
   * to a role the file does not declare (it may exist in the app). Print each as `FILE:LINE:COL: warning: …`.
   */
  warnings: ConfigIssue[];
  /** Where a declared object writes a reference (a grant's role key, a user's `role:`), for messages at plan time. */
  locateRef(address: string, ref: string): SourceLocation | undefined;
}

export interface LoadOptions {
  /** `${env:}` references are read from here, and STREAM_SYNC_YAML_FAST=0 turns the YAML fast path off (diagnosis). */
  env?: NodeJS.ProcessEnv;
  /** Paths in messages are shown relative to this directory. */
  cwd?: string;
}

/**
 * Names in a directory that are never desired-state files: hidden files (`.foo.yaml`, and `.#foo.yaml`, an Emacs
 * lock), editor temporaries and backups (`foo.yaml~`, `#foo.yaml#`, `foo.yaml.swp`, `foo.yaml.bak`).
 */
const NOT_DESIRED = /^[.#]|~$|\.(?:swp|swo|bak|orig|tmp)$/i;

/**
 * The desired-state files `-f PATH` names: the file, or every `*.yaml`/`*.yml` in the directory (hidden files and
 * editor temporaries left out). A subdirectory is refused, never silently skipped: its files would otherwise seem
 * applied when they are not.
 */
export function desiredFiles(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new ConfigError([{ message: `${path}: no such file or directory` }]);
  }
  if (!st.isDirectory()) return [path];
  const entries = readdirSync(path, { withFileTypes: true }).filter((e) => !NOT_DESIRED.test(e.name));
  const subdirs = entries.filter((e) => e.isDirectory() || (e.isSymbolicLink() && isDirectory(join(path, e.name))));
  if (subdirs.length) {
    throw new ConfigError(
      subdirs.map((e) => ({ message: `${join(path, e.name)}: a directory inside ${path}: stream-sync reads only the *.yaml and *.yml files directly in a -f directory; move its files up, or pass it as another -f layer` })),
    );
  }
  const files = entries
    .map((e) => e.name)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) throw new ConfigError([{ message: `${path}: the directory holds no *.yaml or *.yml file` }]);
  return files;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The file schema, built once: every file, and every object the layers merge, is checked against it. */
let fileSchemaOnce: ReturnType<typeof fileSchema> | undefined;
const theSchema = () => (fileSchemaOnce ??= fileSchema());

/** STREAM_SYNC_YAML_FAST values that turn the fast path off: every file is then parsed whole by the YAML library. */
const FAST_OFF = /^(?:0|false|off|no)$/i;

/**
 * Reads, substitutes, validates and merges the desired-state files: each path is a layer (a file, or a directory
 * of files), later layers overriding earlier ones (layers.ts). Every problem found is reported at once, each with
 * FILE:LINE:COL of the layer that caused it; any problem is a ConfigError and nothing downstream runs.
 */
export function loadDesired(paths: string | readonly string[], opts: LoadOptions = {}): LoadedDesired {
  const layerPaths = typeof paths === 'string' ? [paths] : [...paths];
  if (layerPaths.length === 0) throw new ConfigError([{ message: 'no desired-state file: pass -f PATH (or --env NAME)' }]);
  const env = opts.env ?? process.env;
  const fast = !FAST_OFF.test(env.STREAM_SYNC_YAML_FAST ?? '');
  const cwd = opts.cwd ?? process.cwd();
  const issues: ConfigIssue[] = [];
  const schema = theSchema();
  const parsedLayers = layerPaths.map((path, layerIndex) => {
    const parsed: { file: ParsedFile; value: Rec; incomplete?: Deferred[] }[] = [];
    for (const full of desiredFiles(path)) {
      const shown = relative(cwd, full) || basename(full);
      // Bytes, not text: parseYamlFile refuses what is not UTF-8 instead of reading it as replacement characters.
      let text: Buffer;
      try {
        text = readFileSync(full);
      } catch (err) {
        issues.push({ message: `${shown}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
        continue;
      }
      const r = parseYamlFile(shown, text, { env, baseDir: dirname(resolve(full)), fast });
      issues.push(...r.issues);
      if (!r.parsed) continue;
      const result = schema.safeParse(r.parsed.value, { reportInput: true });
      if (!result.success) {
        // Only what depends on other fields (a required one, a rule across fields) can be judged on the merge.
        const described = result.error.issues.map((i) => ({ path: i.path as YamlPath, issue: describe(i, r.parsed!), deferrable: i.code === 'custom' || (i.code === 'invalid_type' && i.input === undefined) }));
        // An overlay overrides some fields of what an earlier layer declares, which has the others: an entry is
        // judged once merged (layers.ts) when it overrides something, on its own when it adds an object.
        const within = described.map((d) => ({ ...d, path: entryPathOf(d.path), missing: d.issue.message.includes(' is missing the required field ') }));
        if (layerIndex > 0 && within.every((d) => d.path !== undefined && d.deferrable)) {
          parsed.push({ file: r.parsed, value: r.parsed.value as Rec, incomplete: within as Deferred[] });
          continue;
        }
        issues.push(...described.map((d) => d.issue));
        continue;
      }
      parsed.push({ file: r.parsed, value: result.data as Rec });
    }
    return { path, parsed };
  });
  if (issues.length) throw new ConfigError(issues);
  const layers = parsedLayers.map((l) => layerOf(l.path, l.parsed, issues));
  if (issues.length) throw new ConfigError(issues);
  const merged = mergeLayers(layers, (policy) => (policy.sensitive_variables as string[] | undefined) ?? []);
  const policy = toPolicy(merged.policy);
  const locateRef = (address: string, ref: string): SourceLocation | undefined => {
    const obj = merged.objects.get(address);
    const at = obj && kindSpec(obj.kind).refsAt?.(obj.fields).find((r) => r.ref === ref);
    return (at && merged.locate(address, at.path, at.key)) || obj?.location;
  };
  const references = offlineReferenceIssues(merged.objects, merged.managedKinds, policy, locateRef);
  issues.push(...references.errors);
  if (issues.length) throw new ConfigError(issues);
  const files = parsedLayers.flatMap((l) => (l.parsed.length ? l.parsed.map((p) => p.file.file) : [l.path]));
  // A secret field is masked whatever wrote it.
  const explain = (address: string) => {
    const secret = secretFieldsOf(merged.objects.get(address)?.kind ?? '');
    return merged.explain(address)?.map((o) => ({ ...o, sensitive: o.sensitive || secret.some((p) => patternOverlaps(p, o.path)) }));
  };
  return { managedKinds: merged.managedKinds, objects: merged.objects, policy, expectName: merged.expectName, files, explain, warnings: references.warnings, locateRef };
}

/** One layer's files as one layer: each address and each singleton section declared once. */
/** A problem of an overlay's entry, judged once it is known whether the entry overrides an earlier layer's object. */
interface Deferred {
  path: YamlPath;
  issue: ConfigIssue;
  /** A required field left out: the earlier layer's object has it. */
  missing: boolean;
}

/** The entry a problem at `path` belongs to (`[section, index]`, or `[section]` for a single-object section). */
function entryPathOf(path: YamlPath): YamlPath | undefined {
  const kind = kindOfSection(String(path[0]));
  if (!kind) return undefined;
  if (kind.singleton) return path.length >= 2 ? [path[0]!] : undefined;
  return path.length >= 2 && typeof path[1] === 'number' ? [path[0]!, path[1]] : undefined;
}

/**
 * An object several layers declare, checked as they merge it (an overlay's entry alone may lack fields, or read
 * differently, without the base's): for kinds whose declared fields are the file's entry as written.
 */

function mergedIssues(obj: DesiredObject): ConfigIssue[] {
  const spec = kindSpec(obj.kind);
  if (!spec.section) return [];
  const r = theSchema().safeParse({ version: 1, [spec.section]: spec.singleton ? obj.fields : [obj.fields] });
  if (r.success) return [];
  return r.error.issues.map((i) => ({ message: `${obj.address}, as the layers merge it: ${formatYamlPath((i.path as YamlPath).slice(spec.singleton ? 1 : 2)) || 'the object'}: ${i.message}`, location: obj.location }));
}

function layerOf(path: string, parsed: { file: ParsedFile; value: Rec; incomplete?: Deferred[] }[], issues: ConfigIssue[]): Layer {
  const layer: Layer = { path, objects: new Map(), managedKinds: new Set(), removes: [] };
  const singletonAt = new Map<string, SourceLocation>();

  for (const { file, value, incomplete = [] } of parsed) {
    const unclaimed = new Set(incomplete);
    for (const [section, sectionValue] of Object.entries(value)) {
      if (section === 'version') continue;
      if (section === 'remove') {
        (sectionValue as string[]).forEach((address, i) => layer.removes.push({ address, location: file.locate(['remove', i]) }));
        continue;
      }
      if (SINGLETON_SECTIONS.includes(section)) {
        const first = singletonAt.get(section);
        if (first) {
          issues.push({ message: `${section} is already defined at ${formatLocation(first)}: define it in one file only`, location: file.locateKey([], section) });
          continue;
        }
        singletonAt.set(section, file.locateKey([], section));
      }
      if (section === 'policy') {
        layer.policy = sectionValue as Rec;
        continue;
      }
      const kind = kindOfSection(section)!;
      for (const k of kindsOfSection(section)) layer.managedKinds.add(k.kind);
      layer.expectName ??= kind.expectName?.(sectionValue);
      for (const entry of kind.entries!(sectionValue)) {
        const spec = kindSpec(entry.kind);
        const address = spec.address(entry.fields);
        const location = file.locate(entry.path);
        const existing = layer.objects.get(address);
        if (existing) {
          issues.push({ message: `${address} is declared twice (first at ${formatLocation(existing.obj.location!)})`, location });
          continue;
        }
        const obj = { kind: entry.kind, address, fields: entry.fields, sensitive: [], location };
        const own = incomplete.filter((m) => m.path.length === entry.path.length && entry.path.every((seg, i) => m.path[i] === seg));
        own.forEach((m) => unclaimed.delete(m));
        // The entry as written is the object's fields (no kind-specific reshaping): the merge can be checked whole.
        const plain = kind.singleton ? entry.path.length === 1 : entry.path.length === 2 && entry.fields === (sectionValue as unknown[])[entry.path[1] as number];
        layer.objects.set(address, {
          obj,
          file,
          entryPath: entry.path,
          substitutions: substitutionsUnder(file.substitutions, entry.path),
          ...(own.length ? { incomplete: own.map((m) => ({ issue: m.issue, missing: m.missing })) } : {}),
          ...(plain ? { checkMerged: mergedIssues } : {}),
        });
      }
    }
    // A required field missing from something that is no entry (the file's version): an error in any layer.
    issues.push(...[...unclaimed].map((m) => m.issue));
  }
  return layer;
}

/**
 * References that cannot resolve whatever the app holds (errors): into a kind the file manages and prunes, an
 * address that is neither declared nor built-in would be deleted, or never exist. References to what the file
 * does not declare but the app may hold (warnings): plan checks them against the app. Each at the line that
 * writes the reference.
 */
function offlineReferenceIssues(objects: Map<string, DesiredObject>, managed: Set<string>, policy: Policy, locate: (address: string, ref: string) => SourceLocation | undefined): { errors: ConfigIssue[]; warnings: ConfigIssue[] } {
  const errors: ConfigIssue[] = [];
  // One warning per missing object, at its first reference: 10,000 users with one undeclared role are one warning.
  const missing = new Map<string, { first: DesiredObject; more: number }>();
  for (const obj of objects.values()) {
    const spec = kindSpec(obj.kind);
    for (const ref of spec.refs?.(obj.fields) ?? []) {
      // An address starts with its kind (a group's 50 members are 50 of these: no string built per kind).
      const target = findKind(kindOfAddress(ref));
      // Users are many and live outside the file: a reference to one is never worth a warning.
      if (!target?.section || target.prunedByInventory) continue;
      if (objects.has(ref) || target.builtins?.includes(ref)) continue;
      if (managed.has(target.kind) && policy.prune.includes(target.section)) {
        errors.push({ message: `${obj.address} refers to ${ref}, which is not declared in ${target.section} (and ${target.section} is in policy.prune)`, location: locate(obj.address, ref) });
        continue;
      }
      const seen = missing.get(ref);
      if (seen) seen.more++;
      else missing.set(ref, { first: obj, more: 0 });
    }
  }
  const warnings = [...missing].map(([ref, { first, more }]) => ({
    message: `${first.address} refers to ${ref}, which the file does not declare in ${findKind(kindOfAddress(ref))!.section}: plan stops unless the app already has it${more ? ` (${more} more reference${more === 1 ? '' : 's'} to it)` : ''}`,
    location: locate(first.address, ref),
  }));
  return { errors, warnings };
}

function toPolicy(raw: Rec): Policy {
  return {
    prune: (raw.prune as string[] | undefined) ?? [],
    max_deletes: raw.max_deletes as number | undefined,
    rate_share: raw.rate_share as number | undefined,
    protect: (raw.protect as string[] | undefined) ?? [],
    ignore: (raw.ignore as string[] | undefined) ?? [],
    ignore_fields: (raw.ignore_fields as Record<string, string[]> | undefined) ?? {},
    user_delete: raw.user_delete as Policy['user_delete'],
    check_user_id: raw.check_user_id as string | undefined,
    sensitive_variables: (raw.sensitive_variables as string[] | undefined) ?? [],
    report_only: (raw.report_only as string[] | undefined) ?? [],
  };
}

/** Whether the key at the end of `path` is present in the parsed document (a `null` value is present). */
function hasKey(file: ParsedFile, path: YamlPath): boolean {
  let cur: unknown = file.value;
  for (const seg of path.slice(0, -1)) cur = (cur as Record<string | number, unknown> | null)?.[seg];
  return cur !== null && typeof cur === 'object' && (path[path.length - 1] as string) in (cur as object);
}

/** One zod issue as a located, readable message. */
function describe(issue: z.core.$ZodIssue, file: ParsedFile): ConfigIssue {
  const path = issue.path as YamlPath;
  const where = formatYamlPath(path);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const more = issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).map((k) => `"${k}"`).join(', ')})` : '';
    const what = path.length === 0 ? 'at the top level: expected version, policy or a kind section' : `in ${where}`;
    return { message: `unknown key "${key}"${more} ${what}${didYouMean(key, keysAt((describedSchema ??= fileSchema()), path))}`, location: file.locateKey(path, key) };
  }
  const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_value') && issue.input === undefined && path.length > 0 && !hasKey(file, path);
  if (missing) {
    const field = path[path.length - 1];
    return { message: `${formatYamlPath(path.slice(0, -1)) || 'the file'} is missing the required field "${String(field)}"`, location: file.locate(path.slice(0, -1)) };
  }
  if (issue.code === 'invalid_type' && issue.input === null && path.length === 1 && kindOfSection(String(path[0])) !== undefined) {
    const s = String(path[0]);
    return {
      message: `${s} has no value: list the objects to manage, or remove the key to leave ${s} unmanaged (an empty section never means "delete everything"; to delete them all write \`${s}: []\` and add ${s} to policy.prune)`,
      location: file.locate(path),
    };
  }
  return { message: `${where || 'the file'}: ${issue.message}${suggestion(issue, path)}`, location: file.locate(path) };
}

let describedSchema: ReturnType<typeof fileSchema> | undefined;

/** A likely meant value: a section in policy.prune, a kind at the start of an address in policy.ignore/protect. */
function suggestion(issue: z.core.$ZodIssue, path: YamlPath): string {
  const input = (issue as { input?: unknown }).input;
  if (typeof input !== 'string') return '';
  if (issue.code === 'invalid_value') return didYouMean(input, issue.values.filter((v): v is string => typeof v === 'string'));
  if (issue.code === 'custom' && path[0] === 'policy') {
    const kinds = KINDS.map((k) => k.kind);
    const kind = input.split('/')[0]!;
    if (path[1] === 'report_only' && !input.includes('/')) return didYouMean(input, KINDS.flatMap((k) => (k.section ? [k.section] : [])));
    const meant = closest(kind, kinds);
    return meant === undefined || meant === kind ? '' : `; did you mean "${[meant, ...input.split('/').slice(1)].join('/')}"?`;
  }
  return '';
}
