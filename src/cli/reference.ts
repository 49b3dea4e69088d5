import type { Command, Option } from 'commander';
import { type CommandHelp, ENVIRONMENT, helpOf } from './help.js';

/**
 * docs/cli.md, made from the program itself (pure: program in, Markdown out): every command's synopsis,
 * description, options (default, choices), examples, environment variables, exit codes and JSON fields. Headings are
 * `## stream-sync <command>`, so other documents link `cli.md#stream-sync-plan`.
 */

/** A table cell: pipes escaped, on one line; outside code spans, `*` is a character, not emphasis. */
const cell = (s: string) =>
  s
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith('`') ? part : part.replace(/\*/g, '\\*')))
    .join('')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
const code = (s: string) => `\`${s}\``;

/** GitHub's anchor for a heading: lowercase, punctuation other than - and _ dropped, spaces as -. */
export const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function defaultOf(o: Option): string {
  if (o.defaultValueDescription !== undefined) return code(o.defaultValueDescription);
  const v: unknown = o.defaultValue;
  if (v === undefined || (Array.isArray(v) && v.length === 0)) return '';
  return code(typeof v === 'string' ? v : JSON.stringify(v));
}

function optionsTable(cmd: Command): string[] {
  const help = cmd.createHelp();
  const rows = help.visibleOptions(cmd).map((o) => `| ${cell(code(o.flags))} | ${cell(o.description)} | ${cell(defaultOf(o))} | ${cell((o.argChoices ?? []).map(code).join(', '))} |`);
  return ['| Option | Description | Default | Choices |', '|---|---|---|---|', ...rows];
}

function helpSections(h: CommandHelp): string[] {
  const out = ['**Examples**', '', '```sh', ...h.examples, '```', ''];
  if (h.env.length) out.push('**Environment variables**', '', '| Variable | Meaning |', '|---|---|', ...h.env.map((n) => `| ${cell(code(n))} | ${cell(ENVIRONMENT[n]!)} |`), '');
  if (h.json) out.push('**JSON fields** (`--json`)', '', '| Field | Meaning |', '|---|---|', ...h.json.map(([f, m]) => `| ${cell(code(f))} | ${cell(m)} |`), '');
  out.push('**Exit codes**', '', '| Code | Meaning |', '|---|---|', ...h.exitCodes.map(([c, m]) => `| ${c} | ${cell(m)} |`), '');
  return out;
}

function commandSection(cmd: Command): string[] {
  const help = cmd.createHelp();
  const title = cmd.parent ? `${cmd.parent.name()} ${cmd.name()}` : cmd.name();
  const args = cmd.registeredArguments.map((a) => `| ${cell(code(a.name()))} | ${cell(a.description)} | ${cell((a.argChoices ?? []).map(code).join(', '))} |`);
  const h = helpOf(cmd);
  return [
    `## ${title}`,
    '',
    '```',
    help.commandUsage(cmd),
    '```',
    '',
    cell(`${cmd.description()}.`.replace(/\.\.$/, '.')),
    '',
    ...(args.length ? ['| Argument | Description | Choices |', '|---|---|---|', ...args, ''] : []),
    ...optionsTable(cmd),
    '',
    ...(h ? helpSections(h) : []),
  ];
}

export function renderReference(program: Command): string {
  const name = program.name();
  const commands = program.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
  const lines = [
    `# ${name} command-line reference`,
    '',
    '<!-- Generated from the program (src/cli/program.ts, src/cli/help.ts) by `npm run docs:cli`: edit those, not this file. -->',
    '',
    `${program.description()}`,
    '',
    '| Command | What it does |',
    '|---|---|',
    ...commands.map((c) => `| [${code(c.name())}](#${slug(`${name} ${c.name()}`)}) | ${cell(c.description())} |`),
    '',
    ...commandSection(program),
    ...commands.flatMap(commandSection),
  ];
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
