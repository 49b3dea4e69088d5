import type { Command } from 'commander';

/**
 * What `--help` adds after each command's flags, and what docs/cli.md shows for it: examples, the environment
 * variables the command reads, its exit codes. One table, so that the help and the reference cannot disagree.
 */

export interface CommandHelp {
  /** Realistic command lines (each is parsed by the program in the tests: every flag exists). */
  examples: string[];
  /** Keys of `ENVIRONMENT`. */
  env: string[];
  exitCodes: [code: number, meaning: string][];
  /** The fields of its `--json` object, when it has one. */
  json?: [field: string, meaning: string][];
}

/** `ping --json`'s object, and `version --json`'s `server` (without `stream_sync`). Null when unknown. */
export const SERVER_FIELDS: [string, string][] = [
  ['ok', 'true when Stream answered GetApp and accepted the credentials'],
  ['base_url', 'the API base URL contacted'],
  ['api_key', 'the API key used (the secret is never printed)'],
  ['app', "the app's name, as GetApp says it"],
  ['round_trip_ms', "from sending GetApp to its answer's headers, in ms"],
  ['clock_skew_ms', "Stream's clock minus this machine's, in ms, from the answer's Date header (0 within 2 s); stream-sync signs its tokens by Stream's clock"],
  ['rate_limit', "GetApp's rate-limit window from the X-RateLimit-* headers: {limit, remaining, reset (ISO time, Stream's clock)}, null when not sent"],
  ['error', 'why it failed (ok false): unreachable, credentials refused (with Stream\'s code), no connection configured'],
];

/** Every environment variable stream-sync reads, in one line each. */
export const ENVIRONMENT: Record<string, string> = {
  STREAM_API_KEY: "the app's API key (required to connect; not read with --env, which uses the environment's api_key, nor with --emulator)",
  STREAM_API_SECRET: "the app's API secret; wins over STREAM_API_SECRET_FILE (a warning says when both are set and differ)",
  STREAM_API_SECRET_FILE: 'a file holding the API secret (a mounted Kubernetes or Docker secret), used when STREAM_API_SECRET is unset',
  STREAM_BASE_URL: 'the API base URL, http(s) (default https://chat.stream-io-api.com; a path prefix is kept)',
  '${env:NAME}': "any variable the desired-state or environments file references as ${env:NAME}, ${env:NAME:-fallback} or ${secret:NAME} (secret: masked in every output); with --env, the environment's variables win",
  STREAM_SYNC_YAML_FAST: 'set to 0 (or false, off, no) to parse files with the yaml library alone, without the fast path (diagnosis)',
  NO_COLOR: 'set and not empty: no colour in plans and pretty logs',
  STREAM_EMULATOR_API_SECRET: "the emulated app's API secret (default: generated); when set, the --api-key app gets this secret (an existing --data file's other apps are kept)",
};

const CONNECTION = ['STREAM_API_KEY', 'STREAM_API_SECRET', 'STREAM_API_SECRET_FILE', 'STREAM_BASE_URL'];
const FILES = ['${env:NAME}', 'STREAM_SYNC_YAML_FAST'];
const ERROR: [number, string] = [1, 'error: invalid file, flags or connection, request failed'];
const SIGNALS: [number, string][] = [
  [130, 'interrupted by SIGINT'],
  [143, 'terminated by SIGTERM'],
];

export const PROGRAM_HELP: CommandHelp = {
  examples: ['stream-sync validate -f stream.yaml', 'stream-sync plan -f stream.yaml --emulator', 'stream-sync apply --env prod', 'source <(stream-sync completion bash)'],
  env: [...CONNECTION, ...FILES, 'NO_COLOR', 'STREAM_EMULATOR_API_SECRET'],
  exitCodes: [
    [0, 'success'],
    [1, 'error (each command lists its codes)'],
    [2, 'plan or diff --detailed-exitcode: there are changes'],
  ],
};

export const COMMAND_HELP: Record<string, CommandHelp> = {
  validate: {
    examples: ['stream-sync validate -f stream.yaml', 'stream-sync validate -f base/ -f overlays/prod/', 'stream-sync validate --env staging --explain role/moderator'],
    env: FILES,
    exitCodes: [
      [0, 'the desired state is valid (warnings may be shown)'],
      [1, 'invalid: every problem is listed with its file:line:col'],
    ],
  },
  plan: {
    examples: ['stream-sync plan -f stream.yaml', 'stream-sync plan -f stream.yaml --format markdown --detailed-exitcode', 'stream-sync plan --env prod --out plan.json', 'stream-sync plan -f stream.yaml --emulator --target "role/*"'],
    env: [...CONNECTION, ...FILES, 'NO_COLOR'],
    exitCodes: [[0, 'planned (with --detailed-exitcode: no changes)'], ERROR, [2, 'with --detailed-exitcode: there are changes'], ...SIGNALS],
  },
  apply: {
    examples: ['stream-sync apply -f stream.yaml', 'stream-sync apply --env prod --plan plan.json', 'stream-sync apply -f stream.yaml --dry-run', 'stream-sync apply -f stream.yaml --allow-deletes 3 --verify --lock-timeout 5m'],
    env: [...CONNECTION, ...FILES, 'NO_COLOR'],
    exitCodes: [
      [0, 'applied, or nothing to do'],
      [1, 'error, a guard refused the run (expect_name, max_deletes, a stale saved plan), a --verify check failed, interrupted or past --deadline'],
    ],
  },
  check: {
    examples: ['stream-sync check -f stream.yaml', 'stream-sync check --env prod --target "push_provider/*"'],
    env: [...CONNECTION, ...FILES],
    exitCodes: [[0, 'every check passed'], [1, 'a check failed, or an error'], ...SIGNALS],
  },
  export: {
    examples: ['stream-sync export -o stream.yaml', 'stream-sync export --kinds roles,blocklists', 'stream-sync export --emulator'],
    env: CONNECTION,
    exitCodes: [[0, 'written'], ERROR, ...SIGNALS],
  },
  diff: {
    examples: ['stream-sync diff --env staging --env prod', 'stream-sync diff --env staging --env prod --format markdown --detailed-exitcode', 'stream-sync diff --env staging --env prod --kinds roles --prune'],
    env: ['${env:NAME}', 'NO_COLOR'],
    exitCodes: [[0, 'compared (with --detailed-exitcode: no differences)'], ERROR, [2, 'with --detailed-exitcode: there are differences'], ...SIGNALS],
  },
  watch: {
    examples: ['stream-sync watch -f stream.yaml --listen 127.0.0.1:9464', 'stream-sync watch --environments environments.yaml --interval auto', 'stream-sync watch -f stream.yaml --dry-run --interval 1m', 'stream-sync watch --emulator -f config.example/stream.yaml --log-format pretty'],
    env: [...CONNECTION, ...FILES, 'NO_COLOR'],
    exitCodes: [
      [0, 'stopped by SIGTERM or SIGINT'],
      [1, 'could not start (invalid flags, file or state file), or a second signal during the stop'],
    ],
  },
  emulator: {
    examples: ['stream-sync emulator', 'stream-sync emulator --port 0 --rate-limits off', 'stream-sync emulator --data emulator.json --fault-rate 0.05 --seed 42'],
    env: ['STREAM_EMULATOR_API_SECRET', 'NO_COLOR'],
    exitCodes: [
      [0, 'stopped by SIGTERM or SIGINT (--data saved)'],
      [1, 'could not start (port in use, unreadable --data)'],
    ],
  },
  ping: {
    examples: ['stream-sync ping', 'stream-sync ping --env prod --json', 'stream-sync ping --emulator', 'stream-sync ping --timeout 3s'],
    env: CONNECTION,
    exitCodes: [[0, 'Stream answered and accepted the credentials'], [1, 'no connection configured, unreachable, credentials refused, or any other failure'], ...SIGNALS],
    json: [['stream_sync', "this stream-sync's version"], ...SERVER_FIELDS],
  },
  version: {
    examples: ['stream-sync version', 'stream-sync version --json --client', 'stream-sync version --env prod'],
    env: CONNECTION,
    exitCodes: [
      [0, 'printed (and the server answered, when a connection is configured)'],
      [1, 'a connection is configured but the server could not be reached or refused it (the client part is printed anyway)'],
    ],
    json: [
      ['stream_sync', "this stream-sync's version"],
      ['node', "Node's version (process.version)"],
      ['platform', 'the operating system (process.platform)'],
      ['arch', 'the CPU architecture (process.arch)'],
      ['formats', 'what this stream-sync reads and writes: {desired_state: the file\'s version, plan: a saved plan\'s format_version, state_file: the state file\'s version}'],
      ['server', "ping --json's object without stream_sync; null when not contacted (--client, or no connection configured)"],
    ],
  },
  completion: {
    examples: ['source <(stream-sync completion bash)', 'stream-sync completion zsh > "${fpath[1]}/_stream-sync"', 'stream-sync completion fish > ~/.config/fish/completions/stream-sync.fish'],
    env: [],
    exitCodes: [
      [0, 'the script was printed'],
      [1, 'unknown shell'],
    ],
  },
};

/** `term  text`, the text wrapped at `WIDTH` columns under itself (as commander lays out the flags). */
function entry(term: string, width: number, text: string): string {
  const indent = 2 + width + 2;
  const lines: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && indent + line.length + 1 + w.length > WIDTH) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  lines.push(line);
  return `  ${term.padEnd(width)}  ${lines.join(`\n${' '.repeat(indent)}`)}`;
}

const WIDTH = 100;

/** The sections `--help` prints after the flags. */
export function helpText(help: CommandHelp): string {
  const width = Math.max(...help.env.map((n) => n.length), 0);
  const sections = [`Examples:\n${help.examples.map((e) => `  $ ${e}`).join('\n')}`];
  if (help.env.length) sections.push(`Environment variables:\n${help.env.map((n) => entry(n, width, ENVIRONMENT[n]!)).join('\n')}`);
  if (help.json) {
    const w = Math.max(...help.json.map(([f]) => f.length));
    sections.push(`JSON fields (--json):\n${help.json.map(([f, m]) => entry(f, w, m)).join('\n')}`);
  }
  sections.push(`Exit codes:\n${help.exitCodes.map(([code, meaning]) => entry(String(code).padStart(3), 3, meaning)).join('\n')}`);
  return `\n${sections.join('\n\n')}\n`;
}

export const helpOf = (cmd: Command): CommandHelp | undefined => (cmd.parent ? COMMAND_HELP[cmd.name()] : PROGRAM_HELP);

/** Adds the sections to the program and every command; a command without an entry is a mistake, said at once. */
export function addHelpSections(program: Command): void {
  program.addHelpText('after', helpText(PROGRAM_HELP));
  for (const cmd of program.commands) {
    const help = COMMAND_HELP[cmd.name()];
    if (!help) throw new Error(`src/cli/help.ts has no help for the command ${cmd.name()}`);
    cmd.addHelpText('after', helpText(help));
  }
}
