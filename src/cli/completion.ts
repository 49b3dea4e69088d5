import { Argument, type Command, type Option } from 'commander';

/**
 * `stream-sync completion bash|zsh|fish`: a completion script made by walking the program's commands and options, so
 * that a new flag completes without anyone editing a script. Choices complete as values; an option whose value is
 * a `<path>` or `<file>` completes file names, as the next word or after `--opt=`. A completion is one word whatever it
 * holds (a file `my config.yaml` or `*` is neither split nor expanded).
 */

export interface CompletionOption {
  /** e.g. ['-f', '--file']. */
  names: string[];
  description: string;
  takesValue: boolean;
  /** The value's name, as the flags write it (`<format>` → `format`). */
  valueName?: string;
  choices?: string[];
  files: boolean;
  repeatable: boolean;
}

export interface CompletionCommand {
  name: string;
  description: string;
  options: CompletionOption[];
  /** The choices of its first argument (`completion <shell>`, `help [command]`). */
  argChoices?: string[];
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const HELP_OPTION: CompletionOption = { names: ['-h', '--help'], description: 'display help for command', takesValue: false, files: false, repeatable: false };

function optionOf(o: Option): CompletionOption {
  const takesValue = o.required || o.optional;
  const valueName = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1];
  return {
    names: [o.short, o.long].filter((n): n is string => Boolean(n)),
    description: o.description,
    takesValue,
    valueName,
    choices: o.argChoices,
    files: takesValue && (valueName === 'path' || valueName === 'file'),
    repeatable: Array.isArray(o.defaultValue) || o.variadic || /\b(repeat|repeatable|twice)\b/.test(o.description),
  };
}

/** Every command of the program (and `help`), with its options and its first argument's choices. */
export function completionTree(program: Command): CompletionCommand[] {
  const commands = program.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
  const tree = commands.map((c) => ({
    name: c.name(),
    description: c.description(),
    options: [...c.options.filter((o) => !o.hidden).map(optionOf), HELP_OPTION],
    argChoices: c.registeredArguments[0]?.argChoices,
  }));
  tree.push({ name: 'help', description: 'display help for command', options: [], argChoices: commands.map((c) => c.name()) });
  return tree;
}

const word = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');

/** Text inside a bash double-quoted string. */
const bq = (s: string) => s.replace(/[\\"$`]/g, '\\$&');

export function bashScript(program: Command): string {
  const tree = completionTree(program);
  const name = program.name();
  const fn = `_${word(name)}`;
  const words = (list: string[]) => `${fn}_words "${bq(list.join(' '))}" "$prefix"`;
  const branches = tree.map((c) => {
    const valued = c.options.filter((o) => o.takesValue);
    const cases = valued.map((o) => {
      const pattern = o.names.join('|');
      if (o.choices) return `        ${pattern}) ${words(o.choices)}; return 0 ;;`;
      if (o.files) return `        ${pattern}) ${fn}_files "$prefix"; return 0 ;;`;
      return `        ${pattern}) return 0 ;;`;
    });
    const list = [...(c.argChoices ?? []), ...c.options.flatMap((o) => o.names)];
    const optCase = cases.length ? [`      case "$opt" in`, ...cases, `      esac`] : [];
    return [`    ${c.name})`, ...optCase, `      (( inline )) || ${words(list)} ;;`].join('\n');
  });
  return `# ${name} completion for bash (3.2 or later; bash-completion is not needed). Install: source <(${name} completion bash)
# or: ${name} completion bash > ~/.local/share/bash-completion/completions/${name}

# COMPREPLY from compgen's output on stdin: one completion a line, each kept whole (not split at spaces, not
# expanded as a pattern: a file named \`my config.yaml\` or \`*\` is one completion), after $1.
${fn}_lines() {
  local line
  COMPREPLY=()
  while IFS= read -r line; do [[ -n $line ]] && COMPREPLY+=("$1$line"); done
}

# The word being typed (cur) without its shell quoting (\`my\\ c\`, \`"my c\`, \`'my c\` → \`my c\`): what compgen -f matches.
${fn}_unquote() {
  local s=$cur out="" c q=""
  while [[ -n $s ]]; do
    c=\${s:0:1}; s=\${s:1}
    if [[ $q == "'" ]]; then
      if [[ $c == "'" ]]; then q=""; else out+=$c; fi
    elif [[ $c == '\\' && -n $s ]]; then
      if [[ $q == '"' && $s != [\\\\\\"\\$\\\`]* ]]; then out+=$c; else out+=\${s:0:1}; s=\${s:1}; fi
    elif [[ $c == '"' ]]; then
      if [[ $q == '"' ]]; then q=""; else q='"'; fi
    elif [[ $c == "'" && -z $q ]]; then
      q="'"
    else
      out+=$c
    fi
  done
  cur=$out
}

# File (and directory) names beginning with the word being typed, quoted by readline as names (-o filenames: bash 4+).
${fn}_files() {
  type compopt &>/dev/null && compopt -o filenames 2>/dev/null
  ${fn}_unquote
  ${fn}_lines "$1" <<< "$(compgen -f -- "$cur")"
}

# Those of the words $1 that begin with the word being typed, after $2.
${fn}_words() {
  local IFS=$' \\t\\n'
  ${fn}_lines "$2" <<< "$(compgen -W "$1" -- "$cur")"
}

${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" opt="" prefix="" cmd="" inline=0 i
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  COMPREPLY=()
  # opt: the option whose value is being typed, the word before or the --opt of --opt=value. Bash splits
  # --opt=value at the = (it is in COMP_WORDBREAKS): the words are --opt = while the cursor is just after the =,
  # --opt = value once a value is begun. Where = is not a word break the word is --opt=value, and each completion
  # keeps the --opt= in front (prefix).
  if [[ $cur == = && $prev == --* ]]; then
    opt=$prev; cur=""; inline=1
  elif [[ $prev == = ]] && (( COMP_CWORD > 1 )) && [[ \${COMP_WORDS[COMP_CWORD-2]} == --* ]]; then
    opt=\${COMP_WORDS[COMP_CWORD-2]}; inline=1
  elif [[ $cur == --*=* ]]; then
    opt=\${cur%%=*}; prefix="$opt="; cur=\${cur#*=}; inline=1
  else
    opt=$prev
  fi
  for (( i = 1; i < COMP_CWORD; i++ )); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$cmd" in
    "") (( inline )) || ${words([...tree.map((c) => c.name), '-h', '--help', '--version'])} ;;
${branches.join('\n')}
  esac
  return 0
}
complete -F ${fn} ${name}
`;
}

/** A zsh single-quoted word. */
const zq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** Text inside an `_arguments` description (`[…]`) or a `_describe` item. */
const zdesc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\[/g, '\\[').replace(/]/g, '\\]');

function zshSpec(o: CompletionOption): string {
  const star = o.repeatable ? '*' : '';
  const action = o.choices ? `(${o.choices.join(' ')})` : o.files ? '_files' : ' ';
  return o.names
    .map((n) => {
      // `--opt=`: the value after `=` or as the next word; `-o+`: right after the letter or as the next word.
      const mod = !o.takesValue ? '' : n.startsWith('--') ? '=' : '+';
      const arg = o.takesValue ? `:${(o.valueName ?? 'value').replace(/:/g, '\\:')}:${action}` : '';
      return zq(`${star}${n}${mod}[${zdesc(o.description)}]${arg}`);
    })
    .join(' ');
}

export function zshScript(program: Command): string {
  const tree = completionTree(program);
  const name = program.name();
  const fn = `_${word(name)}`;
  const commands = tree.map((c) => `      ${zq(`${c.name}:${zdesc(c.description)}`)}`).join('\n');
  const branches = tree.map((c) => {
    const specs = [...c.options.map(zshSpec), ...(c.argChoices ? [zq(`1:${c.name === 'help' ? 'command' : 'argument'}:(${c.argChoices.join(' ')})`)] : [])];
    return `        ${c.name})\n          _arguments -s \\\n            ${specs.join(' \\\n            ')} && ret=0 ;;`;
  });
  return `#compdef ${name}
# ${name} completion for zsh. Install: ${name} completion zsh > "\${fpath[1]}/_${name}" (then start a new shell),
# or for this shell only: source <(${name} completion zsh)
${fn}() {
  local curcontext="$curcontext" state line ret=1
  typeset -A opt_args
  _arguments -C \\
    '(- *)--version[output the version number]' \\
    '(- *)'{-h,--help}'[display help for command]' \\
    '1: :->command' \\
    '*:: :->args' && ret=0
  case $state in
    command)
      local -a commands
      commands=(
${commands}
      )
      _describe -t commands '${name} command' commands && ret=0 ;;
    args)
      case $line[1] in
${branches.join('\n')}
      esac ;;
  esac
  return ret
}
if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

/** A fish single-quoted word. */
const fq = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function fishScript(program: Command): string {
  const tree = completionTree(program);
  const name = program.name();
  const lines = [
    `# ${name} completion for fish. Install: ${name} completion fish > ~/.config/fish/completions/${name}.fish`,
    `complete -c ${name} -f`,
    `complete -c ${name} -n __fish_use_subcommand -l version -d ${fq('output the version number')}`,
    `complete -c ${name} -n __fish_use_subcommand -s h -l help -d ${fq('display help for command')}`,
  ];
  for (const c of tree) lines.push(`complete -c ${name} -n __fish_use_subcommand -a ${c.name} -d ${fq(c.description)}`);
  for (const c of tree) {
    const when = `-n ${fq(`__fish_seen_subcommand_from ${c.name}`)}`;
    if (c.argChoices) lines.push(`complete -c ${name} ${when} -a ${fq(c.argChoices.join(' '))}`);
    for (const o of c.options) {
      const names = o.names.map((n) => (n.startsWith('--') ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`)).join(' ');
      const value = !o.takesValue ? '' : o.choices ? ` -x -a ${fq(o.choices.join(' '))}` : o.files ? ' -r -F' : ' -x';
      lines.push(`complete -c ${name} ${when} ${names}${value} -d ${fq(o.description)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export const SCRIPTS: Record<Shell, (program: Command) => string> = { bash: bashScript, zsh: zshScript, fish: fishScript };

export function completionCommand(program: Command, setExit: (code: number) => void): Command {
  return program
    .command('completion')
    .description('print a shell completion script for stream-sync (its commands, flags, their choices, file names)')
    .addArgument(new Argument('<shell>', 'the shell: bash, zsh or fish').choices(SHELLS))
    .action((shell: Shell) => {
      process.stdout.write(SCRIPTS[shell](program));
      setExit(0);
    });
}
