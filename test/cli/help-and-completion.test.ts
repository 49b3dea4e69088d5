import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { COMMAND_HELP, ENVIRONMENT, PROGRAM_HELP } from '../../src/cli/help.js';
import { completionTree } from '../../src/cli/completion.js';
import { ROOT, runCli } from '../support/cli.js';

const program = buildProgram(() => {});
const commands = program.commands.map((c) => c.name());

/** A program whose actions do nothing and whose errors throw, silently: parsing it checks a command line's flags. */
function parsingProgram(): Command {
  const p = buildProgram(() => {});
  for (const c of [p, ...p.commands]) {
    c.exitOverride();
    c.configureOutput({ writeOut: () => {}, writeErr: () => {} });
    if (c !== p) c.action(() => {});
  }
  return p;
}

/** The arguments after `stream-sync` in an example (`source <(stream-sync …)`, `… > file`), quotes removed. */
function argvOf(example: string): string[] {
  const m = /stream-sync((?:\s+(?:"[^"]*"|[^\s)>"]+))*)/.exec(example);
  if (!m) throw new Error(`not a stream-sync command line: ${example}`);
  return [...m[1]!.matchAll(/"([^"]*)"|(\S+)/g)].map((t) => t[1] ?? t[2]!);
}

describe('--help of every command', () => {
  it('every command has examples, environment variables (where it reads any) and exit codes in the one table', () => {
    expect(Object.keys(COMMAND_HELP).sort()).toEqual([...commands].sort());
    for (const [name, h] of Object.entries(COMMAND_HELP)) {
      expect(h.examples.length, name).toBeGreaterThanOrEqual(2);
      expect(h.examples.length, name).toBeLessThanOrEqual(4);
      expect(h.exitCodes.map(([c]) => c), name).toContain(0);
      for (const v of h.env) expect(ENVIRONMENT[v], `${name}: ${v}`).toBeDefined();
    }
  });

  it.each(['', ...commands])('stream-sync %s --help ends with Examples, Environment variables and Exit codes', async (name) => {
    const r = await runCli([...(name ? [name] : []), '--help']);
    expect(r.code).toBe(0);
    const help = name ? COMMAND_HELP[name]! : PROGRAM_HELP;
    const examples = r.stdout.indexOf('\nExamples:\n');
    const exits = r.stdout.indexOf('\nExit codes:\n');
    expect(examples).toBeGreaterThan(r.stdout.indexOf('Options:'));
    expect(exits).toBeGreaterThan(examples);
    for (const e of help.examples) expect(r.stdout).toContain(`  $ ${e}\n`);
    if (help.env.length) {
      const env = r.stdout.indexOf('\nEnvironment variables:\n');
      expect(env).toBeGreaterThan(examples);
      expect(env).toBeLessThan(exits);
      for (const v of help.env) expect(r.stdout.slice(env)).toContain(`  ${v} `);
    }
    for (const [code] of help.exitCodes) expect(r.stdout.slice(exits)).toMatch(new RegExp(`^ +${code}  `, 'm'));
  });

  it('ping and version --help list the fields of their --json object', async () => {
    const ping = await runCli(['ping', '--help']);
    for (const f of ['ok', 'base_url', 'api_key', 'app', 'round_trip_ms', 'clock_skew_ms', 'rate_limit', 'error']) expect(ping.stdout).toMatch(new RegExp(`^  ${f} `, 'm'));
    const version = await runCli(['version', '--help']);
    for (const f of ['stream_sync', 'node', 'platform', 'arch', 'formats', 'server']) expect(version.stdout).toMatch(new RegExp(`^  ${f} `, 'm'));
  });

  it('every example is a valid command line: the program parses it (its flags exist, their values are accepted)', async () => {
    const all = [...PROGRAM_HELP.examples, ...Object.values(COMMAND_HELP).flatMap((h) => h.examples)];
    for (const example of all) {
      const argv = argvOf(example);
      expect(commands, example).toContain(argv[0]);
      await expect(parsingProgram().parseAsync(argv, { from: 'user' }), example).resolves.toBeDefined();
    }
  });

  it('the example check can fail: an unknown flag, a value outside the choices, a bad number are refused', async () => {
    await expect(parsingProgram().parseAsync(argvOf('stream-sync plan -f x.yaml --formt json'), { from: 'user' })).rejects.toThrow(/unknown option/);
    await expect(parsingProgram().parseAsync(argvOf('stream-sync plan -f x.yaml --format yaml'), { from: 'user' })).rejects.toThrow(/Allowed choices/);
    await expect(parsingProgram().parseAsync(argvOf('stream-sync apply -f x.yaml --allow-deletes many'), { from: 'user' })).rejects.toThrow(/whole number/);
  });

  it('lists only variables stream-sync reads, and every STREAM_* variable it reads', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && e.name !== 'help.ts' ? [join(dir, e.name)] : []));
    const text = sources(join(ROOT, 'src')).map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const name of Object.keys(ENVIRONMENT).filter((n) => !n.startsWith('$'))) expect(text, name).toMatch(new RegExp(`env\\.${name}\\b`));
    const read = new Set([...text.matchAll(/env\.(STREAM_[A-Z_]+)/g)].map((m) => m[1]!));
    expect([...read].filter((n) => !ENVIRONMENT[n])).toEqual([]);
    // `${env:NAME}` and `${secret:NAME}`: the references the desired-state loader substitutes.
    expect(text).toMatch(/\(env\|secret\|file\):/);
  });
});

describe('stream-sync completion', () => {
  let bash = '';
  let dir = '';
  /** The scripts written for zsh and fish to read, away from the directory file names are completed in. */
  let scripts = '';
  /** A directory of names a shell would split or expand: a space, a `*`, and a plain one. */
  let awkward = '';
  const AWKWARD = ['*', 'my config.yaml', 'plain.yaml'];
  beforeAll(async () => {
    scripts = mkdtempSync(join(tmpdir(), 'stream-sync-scripts-'));
    const r = await runCli(['completion', 'bash']);
    expect(r.code).toBe(0);
    bash = r.stdout;
    dir = mkdtempSync(join(tmpdir(), 'stream-sync-completion-'));
    writeFileSync(join(dir, 'stream.yaml'), 'version: 1\n');
    writeFileSync(join(dir, 'stack.txt'), '');
    awkward = mkdtempSync(join(tmpdir(), 'stream-sync-awkward-'));
    for (const f of AWKWARD) writeFileSync(join(awkward, f), '');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(scripts, { recursive: true, force: true });
    rmSync(awkward, { recursive: true, force: true });
  });

  /** COMPREPLY for the words typed so far (the last one is the word being completed), from the script sourced in bash. */
  function complete(...words: string[]): string[] {
    return completeIn(dir, ...words);
  }
  function completeIn(cwd: string, ...words: string[]): string[] {
    const q = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
    const script = `${bash}\nCOMP_WORDS=(${words.map(q).join(' ')}); COMP_CWORD=${words.length - 1}; COMP_LINE=${q(words.join(' '))}; COMP_POINT=\${#COMP_LINE}\n_stream_sync\nprintf '%s\\n' "\${COMPREPLY[@]}"\n`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { cwd, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean).sort();
  }

  it('bash: completes commands, flags, their choices and file names', () => {
    expect(complete('stream-sync', 'pl')).toEqual(['plan']);
    expect(complete('stream-sync', 'plan', '--for')).toEqual(['--format']);
    expect(complete('stream-sync', 'plan', '--format', '')).toEqual(['json', 'markdown', 'text']);
    expect(complete('stream-sync', 'plan', '-f', 'stream.yaml', '--log-level', 'w')).toEqual(['warn']);
    expect(complete('stream-sync', 'plan', '-f', 'st')).toEqual(['stack.txt', 'stream.yaml']);
    expect(complete('stream-sync', 'emulator', '--data', 'stre')).toEqual(['stream.yaml']);
    expect(complete('stream-sync', 'completion', '')).toEqual(['--help', '-h', 'bash', 'fish', 'zsh']);
    expect(complete('stream-sync', 'ver')).toEqual(['version']);
    expect(complete('stream-sync', 'version', '--')).toEqual(['--client', '--emulator', '--env', '--environments', '--help', '--json', '--log-level', '--timeout']);
    // A flag that takes a free value completes nothing rather than flags.
    expect(complete('stream-sync', 'plan', '--target', '')).toEqual([]);
  });

  it('bash: a file name with a space or a * is one completion, neither split nor expanded', () => {
    expect(completeIn(awkward, 'stream-sync', 'plan', '-f', 'my')).toEqual(['my config.yaml']);
    expect(completeIn(awkward, 'stream-sync', 'plan', '-f', '')).toEqual([...AWKWARD].sort());
    expect(completeIn(awkward, 'stream-sync', 'plan', '-f', '*')).toEqual(['*']);
    expect(completeIn(awkward, 'stream-sync', 'export', '--output', 'p')).toEqual(['plain.yaml']);
    // The word as typed, with its quoting: a backslash, an open double or single quote.
    expect(completeIn(awkward, 'stream-sync', 'plan', '-f', 'my\\ c')).toEqual(['my config.yaml']);
    expect(completeIn(awkward, 'stream-sync', 'plan', '-f', '"my c')).toEqual(['my config.yaml']);
    expect(completeIn(awkward, 'stream-sync', 'plan', '-f', "'my c")).toEqual(['my config.yaml']);
  });

  it('bash: --opt=value completes the value, as bash splits it at the = (--opt = value) or not (--opt=value)', () => {
    // The cursor just after the `=`: the words are `--format` `=`.
    expect(complete('stream-sync', 'plan', '--format', '=')).toEqual(['json', 'markdown', 'text']);
    expect(complete('stream-sync', 'plan', '--format', '=', 'j')).toEqual(['json']);
    expect(complete('stream-sync', 'plan', '--log-level', '=', 'w')).toEqual(['warn']);
    expect(completeIn(awkward, 'stream-sync', 'plan', '--file', '=', 'my')).toEqual(['my config.yaml']);
    expect(completeIn(awkward, 'stream-sync', 'plan', '--file', '=')).toEqual([...AWKWARD].sort());
    // `=` not a word break: one word, and each completion keeps the `--opt=` it replaces.
    expect(complete('stream-sync', 'plan', '--format=')).toEqual(['--format=json', '--format=markdown', '--format=text']);
    expect(complete('stream-sync', 'plan', '--format=m')).toEqual(['--format=markdown']);
    expect(completeIn(awkward, 'stream-sync', 'plan', '--file=my')).toEqual(['--file=my config.yaml']);
    // A free value or a flag without one completes nothing after `=`, rather than flags.
    expect(complete('stream-sync', 'plan', '--target', '=')).toEqual([]);
    expect(complete('stream-sync', 'plan', '--detailed-exitcode', '=')).toEqual([]);
    expect(complete('stream-sync', 'plan', '--target=')).toEqual([]);
  });

  it('every command and every flag of the program is in each script, with its choices', async () => {
    const tree = completionTree(program);
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await runCli(['completion', shell]);
      expect(r.code, shell).toBe(0);
      for (const c of tree) {
        expect(r.stdout, `${shell}: ${c.name}`).toContain(c.name);
        for (const o of c.options) for (const n of o.names) expect(r.stdout, `${shell}: ${c.name} ${n}`).toContain(shell === 'fish' ? (n.startsWith('--') ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`) : n);
      }
      expect(r.stdout, shell).toContain('text json markdown');
      expect(r.stdout, shell).toContain('trace debug info warn error silent');
    }
  });

  it('zsh: a #compdef function with _arguments per command, registered when sourced', async () => {
    const r = await runCli(['completion', 'zsh']);
    expect(r.stdout).toMatch(/^#compdef stream-sync\n/);
    expect(r.stdout).toContain("'--format=[output format]:format:(text json markdown)'");
    expect(r.stdout).toContain("'*-f+[desired-state file");
    expect(r.stdout).toContain(':path:_files');
    expect(r.stdout).toContain('compdef _stream_sync stream-sync');
  });

  it('fish: one complete line per flag, file names for paths, choices exclusive', async () => {
    const r = await runCli(['completion', 'fish']);
    expect(r.stdout).toContain("complete -c stream-sync -n '__fish_seen_subcommand_from plan' -l format -x -a 'text json markdown'");
    expect(r.stdout).toContain("complete -c stream-sync -n '__fish_seen_subcommand_from plan' -s f -l file -r -F");
    expect(r.stdout).toContain("complete -c stream-sync -n __fish_use_subcommand -a ping");
  });

  const hasShell = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
  const zsh = hasShell('zsh');
  const fish = hasShell('fish');
  it.skipIf(!zsh)(`zsh -n accepts the zsh script, and sourced after compinit it completes stream-sync${zsh ? '' : ' (skipped: zsh is not installed here)'}`, async () => {
    const r = await runCli(['completion', 'zsh']);
    const check = spawnSync('zsh', ['-n'], { input: r.stdout, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const file = join(scripts, '_stream-sync');
    writeFileSync(file, r.stdout);
    const loaded = spawnSync('zsh', ['-f', '-c', `autoload -U compinit; compinit -u -D; source ${file}; print -r -- \${_comps[stream-sync]}`], { cwd: dir, encoding: 'utf8' });
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(loaded.stdout.trim()).toBe('_stream_sync');
  });
  const script = hasShell('script');
  it.skipIf(!zsh || !script)(`zsh in a terminal: a file name with a space or a * is one completion, --opt=value completes the value${zsh && script ? '' : ' (skipped: zsh or script is not installed here)'}`, async () => {
    const r = await runCli(['completion', 'zsh']);
    const file = join(scripts, '_stream-sync');
    writeFileSync(file, r.stdout);
    // Keys typed into an interactive zsh (script(1) gives it a terminal): a line, TAB, then ^T prints the line as completed.
    const typed = (lines: string[]) => {
      const setup = `autoload -U compinit; compinit -u -D; source ${file}; showbuf() { print -r -- "LINE<$BUFFER>"; BUFFER= }; zle -N showbuf; bindkey '^T' showbuf\n`;
      const out = spawnSync('script', ['-qec', 'zsh -f -i', '/dev/null'], {
        input: `${setup}${lines.map((l) => `${l}\t\x14`).join('')}exit\n`,
        cwd: awkward,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, TERM: 'dumb', PS1: '$ ', HOME: scripts },
        timeout: 20_000,
      });
      expect(out.status, out.stderr).toBe(0);
      return { out: out.stdout, lines: [...out.stdout.matchAll(/LINE<(stream-sync[^>]*)>/g)].map((m) => m[1]) };
    };
    expect(typed(['stream-sync plan -f my', 'stream-sync plan --format=m', 'stream-sync plan --file=my', 'stream-sync plan -f \\*']).lines).toEqual([
      'stream-sync plan -f my\\ config.yaml ',
      'stream-sync plan --format=markdown ',
      'stream-sync plan --file=my\\ config.yaml ',
      'stream-sync plan -f \\* ',
    ]);
    // An ambiguous name lists the choices, each once, quoted as zsh would insert it.
    const listed = typed(['stream-sync plan -f ']).out.split(/\r?\n/).find((l) => l.includes('plain.yaml') && !l.includes('stream-sync'));
    expect(listed?.trim().split(/\s{2,}/).sort()).toEqual(['\\*', 'my\\ config.yaml', 'plain.yaml']);
  });
  it.skipIf(!fish)(`fish --no-execute accepts the fish script, and fish completes with it${fish ? '' : ' (skipped: fish is not installed here)'}`, async () => {
    const r = await runCli(['completion', 'fish']);
    const file = join(scripts, 'stream-sync.fish');
    writeFileSync(file, r.stdout);
    const check = spawnSync('fish', ['--no-execute', file], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const completes = (line: string) => {
      const out = spawnSync('fish', ['--no-config', '-c', `source ${file}; complete -C '${line}'`], { cwd: dir, encoding: 'utf8' });
      expect(out.status, out.stderr).toBe(0);
      return out.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).sort();
    };
    expect(completes('stream-sync pl')).toEqual(['plan']);
    expect(completes('stream-sync plan --for')).toEqual(['--format']);
    expect(completes('stream-sync plan --format ')).toEqual(['json', 'markdown', 'text']);
    expect(completes('stream-sync plan -f stre')).toEqual(['stream.yaml']);
    expect(completes('stream-sync plan --format=')).toEqual(['--format=json', '--format=markdown', '--format=text']);
    const completesIn = (cwd: string, args: string) => {
      const out = spawnSync('fish', ['--no-config', '-c', `source ${file}; complete -C $argv[1]`, `stream-sync ${args}`], { cwd, encoding: 'utf8' });
      expect(out.status, out.stderr).toBe(0);
      return out.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).sort();
    };
    expect(completesIn(awkward, 'plan -f my')).toEqual(['my config.yaml']);
    expect(completesIn(awkward, 'plan -f ')).toEqual([...AWKWARD].sort());
    expect(completesIn(awkward, 'plan --file=my')).toEqual(['--file=my config.yaml']);
  });

  it('bash -n accepts the bash script', () => {
    const check = spawnSync('bash', ['-n'], { input: bash, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });

  it('--help says how to install each script; an unknown shell exits 1', async () => {
    const help = await runCli(['completion', '--help']);
    expect(help.stdout).toContain('source <(stream-sync completion bash)');
    expect(help.stdout).toContain('stream-sync completion zsh >');
    expect(help.stdout).toContain('stream-sync completion fish > ~/.config/fish/completions/stream-sync.fish');
    const bad = await runCli(['completion', 'tcsh']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bash, zsh, fish/);
  });
});
