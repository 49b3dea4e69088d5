/** Just enough of a Dockerfile reader for the image test: stages, their instructions, ARG defaults substituted. */

export interface Instruction {
  op: string;
  /** The text after the keyword, continuation lines joined. */
  args: string;
  /** `--from=…`, `--mount=…`, `--interval=…` flags at the start of the arguments. */
  flags: Record<string, string>;
  /** The arguments without their leading flags. */
  rest: string;
}

export interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const sub = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => args[(a ?? b)!] ?? m);
  for (const line of lines) {
    const [, op, raw = ''] = /^(\w+)\s*(.*)$/.exec(line)!;
    const upper = op!.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [k, v = ''] = raw.split('=');
      args[k!.trim()] = v.trim().replace(/^"(.*)"$/, '$1');
      continue;
    }
    if (upper === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(sub(raw))!;
      stages.push({ image: m[1]!, name: m[2] ?? String(stages.length), instructions: [] });
      continue;
    }
    const flags: Record<string, string> = {};
    let rest = raw;
    for (let m = /^--([\w-]+)=(\S+)\s*/.exec(rest); m; m = /^--([\w-]+)=(\S+)\s*/.exec(rest)) {
      flags[m[1]!] = m[2]!;
      rest = rest.slice(m[0].length);
    }
    stages[stages.length - 1]!.instructions.push({ op: upper, args: raw, flags, rest });
  }
  return { args, stages };
}

/** An exec-form instruction's argument list (`["a", "b"]`). */
export const execForm = (rest: string): string[] => JSON.parse(rest) as string[];

/** COPY's sources and destination (shell form). */
export function copyParts(i: Instruction): { sources: string[]; dest: string } {
  const parts = i.rest.split(/\s+/);
  return { sources: parts.slice(0, -1), dest: parts[parts.length - 1]! };
}

/**
 * A stage's LABELs (`key="value" …`, later ones win), `$VAR`/`${VAR}` taken from the global ARG defaults for the
 * ARGs the stage declares, as Docker scopes them.
 */
export function labels(stage: Stage, globalArgs: Record<string, string>): Record<string, string> {
  const declared = new Set(stage.instructions.filter((i) => i.op === 'ARG').map((i) => i.rest.split('=')[0]!.trim()));
  const sub = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => (declared.has((a ?? b)!) ? (globalArgs[(a ?? b)!] ?? '') : m));
  const out: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.op === 'LABEL')) {
    for (const m of i.rest.matchAll(/([\w.-]+)=(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)) out[m[1]!] = sub(m[2] ?? m[3]!);
  }
  return out;
}
