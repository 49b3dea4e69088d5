/**
 * The Markdown plan, for a pull-request comment (GitHub refuses comments over 65,536 characters):
 *
 *   ### stream-sync plan for <code>acme-prod</code>
 *
 *   | create | update | delete | unchanged |
 *   |---:|---:|---:|---:|
 *   | 1 | 1 | 0 | 7 |
 *
 *   Target: <code>https://chat.stream-io-api.com</code>, api key <code>abc123</code>
 *
 *   <details><summary>blocklist (1 change)</summary>
 *
 *   | action | address | field | change |
 *   |---|---|---|---|
 *   | + create | <code>blocklist/banned-words</code> | <code>/words</code> | <code>["scam", "spoiler"]</code> |
 *
 *   </details>
 *
 *   #### Warnings
 *
 *   - <code>role/legacy-admin</code>: not declared in the file, but protected by policy.protect: not deleted
 *
 * Every value, address and message is escaped (see `esc`), so nothing from the file or the API can break the
 * table, close a `<details>`, inject HTML or mention people.
 */
import type { Action, Change, PlanDocument, PlanWarning } from '../../core/model.js';
import { clean, countActions, describeField, NO_CHANGES, UNNAMED_APP_NOTE } from './format.js';

export interface MarkdownOptions {
  /** The output never exceeds this many characters (UTF-16 code units, as GitHub counts). */
  maxChars?: number;
}

export const DEFAULT_MAX_CHARS = 65_000;
/** Long strings are cut in table cells: the comment is a review aid, the JSON plan has every value whole. */
const MAX_STRING = 200;
/** Warnings may use at most this share of the budget when the plan does not fit: changes come first. */
const WARNINGS_SHARE = 0.25;

const SYMBOL: Record<Action, string> = { create: '+', update: '~', delete: '-' };

const ENTITIES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '|': '&#124;', '`': '&#96;', '\\': '&#92;', '*': '&#42;', '_': '&#95;',
  '[': '&#91;', ']': '&#93;', '~': '&#126;', '@': '&#64;', '#': '&#35;',
};

/**
 * Text made inert in Markdown and HTML: table pipes, code fences, tags, emphasis, links, `@mentions` and `#refs`
 * become entities, and line breaks (which would end a table row) become a visible `\n`.
 */
export function esc(s: string): string {
  return clean(s).replace(/[&<>|`\\*_[\]~@#]/g, (c) => ENTITIES[c]!);
}

const code = (s: string) => `<code>${esc(s)}</code>`;

interface KindGroup {
  kind: string;
  changes: Change[];
}

export function renderMarkdown(plan: PlanDocument, opts: MarkdownOptions = {}): string {
  const max = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const head = renderHead(plan);
  const groups = groupByKind(plan.changes);
  const full = joinSections([head, ...groups.map((g) => detailsBlock(g, g.changes.map(changeRows))), renderWarnings(plan.warnings)]);
  if (full.length <= max) return full;
  return renderTruncated(plan, head, groups, max);
}

/** Title, summary table and target: always printed whole (their strings are capped, so they stay small). */
function renderHead(plan: PlanDocument): string {
  const counts = countActions(plan.changes);
  const { app_name, base_url, api_key } = plan.target;
  const short = (s: string) => (s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}…` : s);
  const lines = [
    `### stream-sync plan for ${app_name === null ? `the app with api key ${code(short(api_key))}` : code(short(app_name))}`,
    '',
    '| create | update | delete | unchanged |',
    '|---:|---:|---:|---:|',
    `| ${counts.create} | ${counts.update} | ${counts.delete} | ${plan.summary.unchanged} |`,
    '',
    `Target: ${code(short(base_url))}, api key ${code(short(api_key))}${app_name === null ? ` (${UNNAMED_APP_NOTE})` : ''}`,
  ];
  if (!plan.changes.length) lines.push('', NO_CHANGES);
  return lines.join('\n');
}

/** Changes grouped by kind, kinds in order of first appearance, changes in plan order within a kind. */
function groupByKind(changes: readonly Change[]): KindGroup[] {
  const groups = new Map<string, Change[]>();
  for (const c of changes) groups.set(c.kind, [...(groups.get(c.kind) ?? []), c]);
  return [...groups].map(([kind, list]) => ({ kind, changes: list }));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The table rows of one change: its first row names it, the next ones only add fields. */
function changeRows(change: Change): string {
  const first = `${SYMBOL[change.action]} ${change.action}`;
  const fields = change.fields;
  if (!fields.length) return `| ${first} | ${code(change.address)} | | |`;
  return fields
    .map((f, i) => {
      const [action, address] = i === 0 ? [first, code(change.address)] : ['', ''];
      return `| ${action} | ${address} | ${code(f.path)} | ${code(describeField(f, change.action, { maxString: MAX_STRING }))} |`;
    })
    .join('\n');
}

/** One `<details>` per kind; `total` > rows shown when the block was cut. */
function detailsBlock(group: KindGroup, rows: readonly string[], total = group.changes.length): string {
  const label = rows.length < total ? `${plural(total, 'change')}, first ${rows.length} shown` : plural(total, 'change');
  return [
    `<details><summary>${esc(group.kind)} (${label})</summary>`,
    '',
    '| action | address | field | change |',
    '|---|---|---|---|',
    ...rows,
    '',
    '</details>',
  ].join('\n');
}

function renderWarnings(warnings: readonly PlanWarning[], budget = Infinity): string {
  if (!warnings.length) return '';
  const lines = ['#### Warnings', ''];
  let used = lines.join('\n').length;
  for (const [i, w] of warnings.entries()) {
    const line = `- ${code(w.address)}: ${esc(w.message)}`;
    const rest = warnings.length - i;
    // Room is kept for the line that says how many were left out.
    if (used + line.length + 1 + moreWarnings(rest).length + 1 > budget) {
      lines.push(moreWarnings(rest));
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  return lines.join('\n');
}

const moreWarnings = (n: number) => `- **… ${plural(n, 'more warning')} not shown**; run \`stream-sync plan --format json\` for all of them.`;

function cutNotice(omitted: ReadonlyMap<string, number>, totals: ReadonlyMap<string, number>): string {
  const n = [...omitted.values()].reduce((a, b) => a + b, 0);
  const kinds = [...omitted].map(([kind, k]) => `${esc(kind)} ${k} of ${totals.get(kind)}`).join(', ');
  return `> **… ${plural(n, 'change')} not shown; run \`stream-sync plan --format json\` for the full plan.** Not shown: ${kinds}.`;
}

/**
 * The plan cut to `max` characters: detail rows are kept in plan order until the budget runs out, and the rest
 * (from the end) is replaced by a notice that says how many changes of which kinds were left out. Room for the
 * notice and the warnings is reserved first; a change is shown with all its fields or not at all.
 */
function renderTruncated(plan: PlanDocument, head: string, groups: readonly KindGroup[], max: number): string {
  const totals = new Map(groups.map((g) => [g.kind, g.changes.length]));
  // The notice with every change omitted is the longest it can get.
  const noticeRoom = cutNotice(totals, totals).length;
  const warnings = renderWarnings(plan.warnings, Math.floor(max * WARNINGS_SHARE));
  const SEP = 2; // the blank line between sections
  // Head, notice and warnings, each after a blank line, and the final newline.
  let room = max - head.length - (SEP + noticeRoom) - (warnings ? SEP + warnings.length : 0) - 1;

  const blocks: string[] = [];
  const omitted = new Map<string, number>();
  let full = true;
  for (const group of groups) {
    const rows: string[] = [];
    if (full) {
      // The block's frame, sized for the longest label it can have.
      const frame = detailsBlock(group, [], group.changes.length + 1).length + SEP;
      let used = frame;
      for (const change of group.changes) {
        const row = changeRows(change);
        if (used + row.length + 1 > room) {
          full = false;
          break;
        }
        rows.push(row);
        used += row.length + 1;
      }
      if (rows.length) {
        const block = detailsBlock(group, rows);
        blocks.push(block);
        room -= block.length + SEP;
      }
    }
    if (rows.length < group.changes.length) omitted.set(group.kind, group.changes.length - rows.length);
  }

  const out = joinSections([head, ...blocks, omitted.size ? cutNotice(omitted, totals) : '', warnings]);
  // Only a budget smaller than the head itself gets here; the limit still holds.
  return out.length <= max ? out : out.slice(0, max);
}

function joinSections(sections: readonly string[]): string {
  return `${sections.filter(Boolean).join('\n\n')}\n`;
}
