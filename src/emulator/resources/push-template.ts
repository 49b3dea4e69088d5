import { readPath } from '../paths.js';
import type { Rec } from '../store.js';

/**
 * The handlebars subset Stream's push templates are written in: `{{ path }}` (HTML-escaped, as handlebars does),
 * `{{{ path }}}` (raw), the helpers `truncate path n` and `json_encode path`, and `{{#if path}}…{{else}}…{{/if}}` /
 * `{{#unless}}` blocks. Shared by template writes (push.ts) and CheckPush (checks.ts).
 */

type Token = { kind: 'text'; text: string } | { kind: 'expr'; expr: string; raw: boolean };

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };

function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  const re = /\{\{\{\s*([\s\S]*?)\s*\}\}\}|\{\{\s*([\s\S]*?)\s*\}\}/g;
  let last = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    if (m.index > last) tokens.push({ kind: 'text', text: template.slice(last, m.index) });
    tokens.push(m[1] !== undefined ? { kind: 'expr', expr: m[1], raw: true } : { kind: 'expr', expr: m[2]!, raw: false });
    last = re.lastIndex;
  }
  if (last < template.length) tokens.push({ kind: 'text', text: template.slice(last) });
  return tokens;
}

function lookup(data: Rec, path: string): unknown {
  if (/^-?\d+$/.test(path)) return Number(path);
  // Template paths are written by clients: own keys only (`{{constructor.name}}` renders nothing).
  return readPath(data, path.split('.'));
}

function evaluate(expr: string, data: Rec): unknown {
  const [head, ...args] = expr.split(/\s+/);
  if (args.length === 0) return lookup(data, head!);
  switch (head) {
    case 'truncate': {
      const text = String(lookup(data, args[0]!) ?? '');
      const max = Number(args[1]);
      if (args.length !== 2 || !Number.isInteger(max)) throw new Error('truncate takes a value and a length');
      return [...text].length > max ? `${[...text].slice(0, max).join('')}...` : text;
    }
    case 'json_encode':
      if (args.length !== 1) throw new Error('json_encode takes one value');
      return JSON.stringify(lookup(data, args[0]!) ?? null);
    default:
      throw new Error(`missing helper "${head}"`);
  }
}

const truthy = (v: unknown) => !(v === undefined || v === null || v === false || v === '' || v === 0 || (Array.isArray(v) && v.length === 0));

/** Renders tokens from `at` until a closing `{{/…}}` or `{{else}}` (returned as `stop`) or the end. */
function renderFrom(tokens: Token[], at: number, data: Rec): { out: string; next: number; stop?: string } {
  let out = '';
  let i = at;
  while (i < tokens.length) {
    const t = tokens[i]!;
    i += 1;
    if (t.kind === 'text') {
      out += t.text;
      continue;
    }
    if (t.expr === 'else' || t.expr.startsWith('/')) return { out, next: i, stop: t.expr };
    if (t.expr.startsWith('#')) {
      const [helper, path, ...rest] = t.expr.slice(1).split(/\s+/);
      if ((helper !== 'if' && helper !== 'unless') || !path || rest.length) throw new Error(`unsupported block "{{${t.expr}}}"`);
      const yes = truthy(lookup(data, path)) === (helper === 'if');
      const first = renderFrom(tokens, i, data);
      let second: { out: string; next: number; stop?: string } = { out: '', next: first.next, stop: first.stop };
      if (first.stop === 'else') second = renderFrom(tokens, first.next, data);
      if (second.stop !== `/${helper}`) throw new Error(`{{#${helper}}} is not closed`);
      out += yes ? first.out : first.stop === 'else' ? second.out : '';
      i = second.next;
      continue;
    }
    const value = evaluate(t.expr, data);
    const text = value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    out += t.raw ? text : text.replace(/[&<>"'`=]/g, (c) => HTML_ESCAPES[c]!);
  }
  return { out, next: i };
}

export function renderTemplate(template: string, data: Rec): string {
  const r = renderFrom(tokenize(template), 0, data);
  if (r.stop !== undefined) throw new Error(`unexpected "{{${r.stop}}}"`);
  return r.out;
}

/** What CheckPush renders templates with: a sample message in a sample channel, sent to `receiver`. */
export function sampleContext(receiver: Rec, eventType: string): Rec {
  const sender = { id: 'check-push-sender', name: 'Stream Check Push' };
  return {
    sender,
    receiver,
    channel: { id: 'check-push', type: 'messaging', cid: 'messaging:check-push', name: 'Check Push' },
    message: { id: 'check-push-message', text: 'This is a test push notification', user: sender, type: 'regular' },
    reaction: eventType.startsWith('reaction.') ? { type: 'like', user: sender } : undefined,
    unread_count: 1,
    unread_channels: 1,
  };
}

/** Why a template cannot be used (it fails to render, or does not render to a JSON object); `undefined` when fine. */
export function templateProblem(template: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(renderTemplate(template, sampleContext({ id: 'receiver', name: 'Receiver' }, 'message.new')));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? undefined : 'the rendered template is not a JSON object';
  } catch (err) {
    return `the template does not render to valid JSON: ${(err as Error).message}`;
  }
}
