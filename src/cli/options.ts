import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import { DEFAULT_DEADLINE } from '../runtime/deadline.js';
import { DEFAULT_ENVIRONMENTS_FILE } from '../desired/environments.js';
import type { LogFormat } from '../runtime/logger.js';

/** The flags the connected commands share (commander's parsed values). */
export interface CommonFlags {
  /** The layers, in order (`-f` repeated); empty with `--env`. */
  file: string[];
  env?: string;
  environments?: string;
  emulator?: boolean;
  logLevel: string;
  logFormat?: LogFormat;
  concurrency: number;
  /** `--rate-share`: wins over the file's `policy.rate_share`. */
  rateShare?: number;
  /** `--deadline`, in ms. */
  deadline: number;
  target: string[];
  stateFile?: string;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];

export const collect = (value: string, previous: string[]) => [...previous, value];

export const logLevelOption = (fallback: string) => new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default(fallback);
export const logFormatOption = () => new Option('--log-format <format>', 'log format (default: pretty on a TTY, JSON otherwise)').choices(['json', 'pretty']);

/** The flags the connected commands share; `export` reads the whole app, so it takes no file, target or state file. */
export function commonOptions(cmd: Command, opts: { file?: boolean; manyEnvs?: boolean } = {}): Command {
  const file = opts.file !== false;
  if (file) fileOptions(cmd, opts);
  cmd
    .option('--emulator', 'start an embedded Stream API emulator and target it (demo, tests)')
    .addOption(logLevelOption('warn'))
    .addOption(logFormatOption())
    .addOption(new Option('--concurrency <n>', 'requests in flight at once').default(8).argParser(intArg('--concurrency', 1, 64)))
    .addOption(rateShareOption())
    .addOption(deadlineOption(opts.manyEnvs ? 'stop a reconcile still running after this long (e.g. 10m, 1h); the next trigger runs again' : 'give up when the command is still running after this long (e.g. 10m, 1h): as on an interrupt, exit 1'));
  if (!file) return cmd;
  return cmd
    .option('--target <address>', 'restrict to these addresses and what they depend on (repeatable; * matches any characters)', collect, [])
    .option('--state-file <path>', 'state file (default: .stream-sync/state.json beside the config)');
}

/** `-f` (repeatable: layers), `--env` and `--environments`. */
export function fileOptions(cmd: Command, opts: { manyEnvs?: boolean } = {}): Command {
  cmd.option('-f, --file <path>', 'desired-state file, or a directory of *.yaml/*.yml files; repeat for layers (a base, then overlays)', collect, []);
  if (opts.manyEnvs) {
    return cmd
      .option('--env <name>', 'an environment of the environments file (its layers, app credentials, state file); repeat for several apps in one daemon', collect, [])
      .option('--environments <file>', `the environments file (default: ${DEFAULT_ENVIRONMENTS_FILE}); alone, every environment in it`);
  }
  return cmd.option('--env <name>', 'an environment of the environments file: its layers, app credentials and state file').addOption(environmentsOption());
}

export const environmentsOption = () => new Option('--environments <file>', `the environments file --env reads (default: ${DEFAULT_ENVIRONMENTS_FILE})`);

export function rateShareOption(): Option {
  return new Option('--rate-share <percent>', "the percentage of each Stream endpoint's rate-limit window stream-sync may use, leaving the rest to the app's own backend (default: policy.rate_share, else 50)").argParser(
    intArg('--rate-share', 1, 100),
  );
}

export function deadlineOption(help: string): Option {
  return new Option('--deadline <duration>', help).default(parseDuration('--deadline', DEFAULT_DEADLINE), DEFAULT_DEADLINE).argParser(durationArg('--deadline'));
}

/** A duration of at least a second (`--deadline`, `ping --timeout`), in ms. */
export function durationArg(flag: string) {
  return (v: string): number => {
    try {
      const ms = parseDuration(flag, v);
      if (ms < 1000) throw new UsageError(`${flag} must be at least 1s`);
      return ms;
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

export function lockTimeoutOption(): Option {
  return new Option('--lock-timeout <duration>', "wait up to this long for another stream-sync's state-file lock (e.g. 30s, 5m; default: refuse at once)").argParser((v: string) => {
    try {
      return parseDuration('--lock-timeout', v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  });
}

export function intArg(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}.`);
    return n;
  };
}

export function floatArg(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a number from ${min} to ${max}.`);
    return n;
  };
}
