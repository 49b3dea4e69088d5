/**
 * The Terraform-like text plan, for terminals and logs. Pure: the caller decides about color (the CLI passes
 * false when stdout is not a TTY or NO_COLOR is set).
 *
 *   Target: app "acme-prod" at https://chat.stream-io-api.com (api key abc123)
 *
 *     + blocklist/banned-words
 *         + /type: "word"
 *         + /words: ["scam", "spoiler"]
 *
 *     ~ app
 *         ~ /settings/webhook_events: 2 items → 3 items (+ "call.created", - "user.deleted")
 *         ~ /settings/sqs_secret: (sensitive value) → (sensitive value)
 *
 *     - role/old-agent
 *
 *   Warning: role/legacy-admin: not declared in the file, but protected by policy.protect: not deleted
 *
 *   Plan: 1 to create, 1 to update, 1 to delete.
 */
import type { Action, Change, PlanDocument } from '../../core/model.js';
import { clean, countActions, describeField, NO_CHANGES, summaryLine, UNNAMED_APP_NOTE } from './format.js';

export interface TextOptions {
  color: boolean;
  /** Adds a closing line saying nothing was applied (`apply --dry-run`, `watch --dry-run`). */
  dryRun?: boolean;
}

const ANSI = { bold: '\x1b[1m', green: '\x1b[32m', yellow: '\x1b[33m', red: '\x1b[31m', reset: '\x1b[0m' } as const;
type Style = Exclude<keyof typeof ANSI, 'reset'>;
type Paint = (style: Style, s: string) => string;

const SYMBOL: Record<Action, string> = { create: '+', update: '~', delete: '-' };
const COLOR: Record<Action, Style> = { create: 'green', update: 'yellow', delete: 'red' };

export const DRY_RUN_NOTE = '(dry run: nothing was applied)';

export function renderText(plan: PlanDocument, opts: TextOptions): string {
  const paint: Paint = opts.color ? (style, s) => `${ANSI[style]}${s}${ANSI.reset}` : (_style, s) => s;
  const lines: string[] = [header(plan), ''];
  for (const change of plan.changes) lines.push(...changeBlock(change, paint), '');
  for (const w of plan.warnings) lines.push(`${paint('yellow', 'Warning:')} ${clean(w.address)}: ${clean(w.message)}`);
  if (plan.warnings.length) lines.push('');
  // With no changes only Terraform's "No changes." line is printed: a zero summary line would say the same
  // thing twice. Scripts should use `plan --detailed-exitcode` or the JSON summary, not grep this line.
  lines.push(plan.changes.length ? paint('bold', summaryLine(countActions(plan.changes))) : NO_CHANGES);
  if (opts.dryRun) lines.push(DRY_RUN_NOTE);
  return `${lines.join('\n')}\n`;
}

function header(plan: PlanDocument): string {
  const { app_name, base_url, api_key } = plan.target;
  // The API key is public in Stream (client apps embed it); printing it says which app a plan is for.
  if (app_name === null) return clean(`Target: the app with api key ${api_key} at ${base_url} (${UNNAMED_APP_NOTE})`);
  return clean(`Target: app ${JSON.stringify(app_name)} at ${base_url} (api key ${api_key})`);
}

/** One block per address; a delete lists what the object had when the plan carries it (it goes as a whole). */
function changeBlock(change: Change, paint: Paint): string[] {
  const color = COLOR[change.action];
  const lines = [`  ${paint(color, SYMBOL[change.action])} ${paint('bold', clean(change.address))}`];
  for (const f of change.fields) {
    lines.push(`      ${paint(color, SYMBOL[change.action])} ${clean(f.path)}: ${describeField(f, change.action)}`);
  }
  return lines;
}
