import { writeFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { UsageError } from '../core/errors.js';
import { KINDS, kindsOfSection } from '../kinds/registry.js';
import { fetchLive } from '../live/fetch.js';
import type { Api } from '../core/api.js';
import type { DesiredState, Rec } from '../core/model.js';
import type { Output } from './output.js';
import type { Session } from '../runtime/session.js';

/** Sections `export` can write: kinds that have a file form. */
export const EXPORTABLE_SECTIONS = KINDS.filter((k) => k.section && k.toFile).map((k) => k.section!);
/** What `export` writes without `--kinds`: every exportable kind but those that say otherwise (polls). */
export const DEFAULT_SECTIONS = KINDS.filter((k) => k.section && k.toFile && k.exportByDefault !== false).map((k) => k.section!);

const SCHEMA_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../schema/stream-sync.schema.json');

/**
 * Stringified as YAML 1.1 so that every string a YAML 1.1 reader (PyYAML, older editors, Ansible) would take for
 * something else is quoted: `no`, `Yes`, `ON`, `y`, `~`, `null`, `0777`, `12:30`, dates. Quoted, they are strings in
 * 1.2 too, so the file means the same to stream-sync (which reads 1.2) and to every other tool.
 */
export const EXPORT_YAML_OPTIONS = Object.freeze({ version: '1.1' as const, lineWidth: 0 });

/**
 * The modeline's schema: a path relative to the written file's directory (the language server resolves it against
 * the file, so it works whatever directory the editor or the shell is in). On stdout the file's final place is
 * unknown, so the schema's absolute file URL; the schema's `$id` is the stable name editors can map instead.
 */
export function schemaModeline(output: string | undefined, schemaFile = SCHEMA_FILE): string {
  if (!output) return pathToFileURL(schemaFile).href;
  const rel = relative(dirname(resolve(output)), schemaFile).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/**
 * The app's objects of `sections` in the file's shape, each section's value as a file would hold it (built-ins
 * left out, secrets the API never returns as `${env:…}` placeholders, sorted by address); a section with nothing
 * to write is left out. What `export` writes, and what `diff` promotes.
 */
export async function liveAsFile(api: Api, sections: readonly string[]): Promise<{ appName?: string; sections: Map<string, unknown> }> {
  const scope: DesiredState = {
    managedKinds: new Set(sections.flatMap((s) => kindsOfSection(s).map((k) => k.kind))),
    objects: new Map(),
    policy: { prune: [], protect: [], ignore: [], ignore_fields: {} },
    files: [],
  };
  const live = await fetchLive(api, scope, { complete: true, forExport: true });
  const all = [...live.objects.values()];
  const out = new Map<string, unknown>();
  for (const section of sections) {
    const spec = kindsOfSection(section)[0]!;
    const entries = all
      .filter((o) => o.kind === spec.kind && !o.builtin && !spec.isBuiltin?.(o))
      .sort((a, b) => (a.address < b.address ? -1 : 1))
      .map((o) => spec.toFile!(o, all));
    const value = spec.singleton ? entries[0] : entries;
    if (value !== undefined) out.set(section, value);
  }
  return { appName: live.appName, sections: out };
}

/**
 * `export`: the live configuration as a desired-state file. Built-ins are left out, secrets the API never
 * returns become `${env:…}` placeholders, and users are never listed (an app can have millions).
 */
export async function runExport(flags: { output?: string; kinds?: string[] }, session: Pick<Session, 'deps' | 'client'>, out: Output): Promise<number> {
  const text = await exportDocument(session.deps.api, session.deps.target, { output: flags.output, sections: exportSections(flags.kinds, '--kinds') });
  if (flags.output) writeFileSync(flags.output, text);
  else out.stdout(text);
  return 0;
}

/** The sections to export (default: those export writes), or a UsageError naming `setting` (`--kinds`, the library's `kinds`). */
export function exportSections(kinds: readonly string[] | undefined, setting: string): readonly string[] {
  if (kinds === undefined) return DEFAULT_SECTIONS;
  if (!Array.isArray(kinds) || !kinds.every((k) => typeof k === 'string')) throw new UsageError(`${setting} must list sections, e.g. roles, blocklists`);
  const unknown = kinds.filter((s) => !EXPORTABLE_SECTIONS.includes(s));
  if (unknown.length) throw new UsageError(`${setting}: cannot export ${unknown.join(', ')}; exportable kinds: ${EXPORTABLE_SECTIONS.join(', ')}`);
  return kinds;
}

/** The export's text, for sections `exportSections` checked: `output` (where it will be written) sets the schema modeline's path. */
export async function exportDocument(api: Api, target: { base_url: string; api_key: string }, opts: { output?: string; sections: readonly string[] }): Promise<string> {
  const { sections } = opts;
  const live = await liveAsFile(api, sections);
  const doc: Rec = { version: 1, ...Object.fromEntries(live.sections) };
  const schemaRef = schemaModeline(opts.output);
  const header = [
    `# yaml-language-server: $schema=${schemaRef}`,
    `# Exported by stream-sync from ${target.base_url} (app ${live.appName ?? target.api_key}).`,
    '# Secrets the API never returns are ${env:…} placeholders: set those variables before planning. An S3 external',
    "# storage that uses Stream's IAM role instead of keys: remove its s3_api_key and s3_secret lines.",
  ];
  return `${header.join('\n')}\n${stringify(doc, EXPORT_YAML_OPTIONS)}`;
}
