import { describe, expect, it } from 'vitest';
import { buildProgram } from './program.js';
import { bashScript, completionTree } from './completion.js';

describe('completionTree', () => {
  const tree = completionTree(buildProgram(() => {}));
  const option = (command: string, name: string) => tree.find((c) => c.name === command)!.options.find((o) => o.names.includes(name))!;

  it('says which values complete file names: a <path> or <file>, not a <host:port> or an <address>', () => {
    expect(option('plan', '-f')).toMatchObject({ names: ['-f', '--file'], takesValue: true, files: true, repeatable: true });
    expect(option('plan', '--out').files).toBe(true);
    expect(option('export', '--output').files).toBe(true);
    expect(option('watch', '--listen')).toMatchObject({ valueName: 'host:port', files: false });
    expect(option('plan', '--target')).toMatchObject({ files: false, repeatable: true });
  });

  it('carries choices and flags without a value', () => {
    expect(option('plan', '--format').choices).toEqual(['text', 'json', 'markdown']);
    expect(option('plan', '--detailed-exitcode')).toMatchObject({ takesValue: false, files: false });
    expect(tree.find((c) => c.name === 'completion')!.argChoices).toEqual(['bash', 'zsh', 'fish']);
  });

  it('lists every command, and help with every command as its argument', () => {
    const names = tree.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['validate', 'plan', 'apply', 'check', 'export', 'diff', 'watch', 'emulator', 'ping', 'version', 'completion', 'help']));
    expect(tree.find((c) => c.name === 'help')!.argChoices).toEqual(names.filter((n) => n !== 'help'));
  });

  it('bash: no compgen output is split or globbed by the shell (read a line at a time), and --opt=value reaches the option', () => {
    const bash = bashScript(buildProgram(() => {}));
    expect(bash).not.toMatch(/\(\s*\$\(compgen/);
    expect(bash).toContain('while IFS= read -r line; do [[ -n $line ]] && COMPREPLY+=("$1$line"); done');
    expect(bash).toContain('_stream_sync_lines "$1" <<< "$(compgen -f -- "$cur")"');
    // No process substitution: a syntax error under `set -o posix` before bash 5.1, which would fail the whole script.
    expect(bash).not.toContain('< <(');
    expect(bash).toContain('--format) _stream_sync_words "text json markdown" "$prefix"; return 0 ;;');
    expect(bash).not.toContain('_init_completion');
  });
});
