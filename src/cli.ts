#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runCheck } from './commands/check.js';
import { EXPORTABLE_SECTIONS, runExport } from './commands/export.js';
import { runApply } from './commands/apply.js';
import type { Output } from './commands/output.js';
import { runPlan } from './commands/plan.js';
import { runDiff } from './commands/diff.js';
import { type EmbeddedEmulator, openSession, type Session } from './runtime/session.js';
import { loadDesired } from './desired/load.js';
import { ConfigError, errorMessage, formatIssue, formatLocation, StoppedError, UsageError } from './core/errors.js';
import { DEFAULT_DEADLINE, startDeadline } from './runtime/deadline.js';
import { DEFAULT_ENVIRONMENTS_FILE, loadEnvironments } from './desired/environments.js';
import { type Connection, connectionOf } from './runtime/connection.js';
import { redactError, sensitiveValues } from './core/secrets.js';
import { secretFieldsOf } from './kinds/registry.js';
import { createLogger, type LogFormat } from './runtime/logger.js';
import type { DesiredState } from './core/model.js';
import type { PlanFormat } from './plan/render/index.js';
import { VERSION } from './core/version.js';
import { parseDuration } from './core/duration.js';
import { lockStateFile } from './runtime/lock.js';

/** The composition root: argv and environment in, exit code out. The only module that touches `process`. */

interface CommonFlags {
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

const output = (): Output => ({
  stdout: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  stderr: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
});

/** An in-process emulator for `--emulator`: a new app, published rate limits, nothing persisted. */
async function embeddedEmulator(): Promise<EmbeddedEmulator> {
  // Loaded on demand, as the daemon is: plan and apply against Stream never pay for the emulator's modules.
  const { startEmulator } = await import('./emulator/server.js');
  const emu = await startEmulator({ port: 0, apps: [{ key: 'emulator', secret: randomBytes(24).toString('hex'), name: 'emulator' }] });
  return { baseUrl: emu.url, apiKey: emu.apiKey, apiSecret: emu.apiSecret, close: () => emu.close() };
}

interface SessionNeeds {
  needsFile?: boolean;
  /** The command writes the state file, so it must be writable before the first request (apply). */
  writesState?: boolean;
  /** Take the state-file lock (apply, plan --out): another writer is refused, or waited for up to `lockTimeoutMs`. */
  lock?: boolean;
  lockTimeoutMs?: number;
  /** An interrupt: the command finishes gracefully (apply). Without one, SIGINT/SIGTERM end the command at once. */
  signal?: AbortSignal;
  /** The command, as the deadline's message names it. */
  command: string;
}

/**
 * What `-f` or `--env` names: the layers, the connection (an environment's own, or the STREAM_* variables) and the
 * state file. `--env` takes all three from the environments file, so that one environment's files are never
 * planned against another's app.
 */
function target(flags: CommonFlags, opts: { offline?: boolean } = {}): { files: string[]; vars: NodeJS.ProcessEnv; connection?: Connection; stateFile?: string } {
  if (!flags.env) {
    if (flags.environments) throw new UsageError('--environments names the file --env reads: pass --env NAME too');
    if (flags.file.length === 0) throw new UsageError('pass -f PATH (repeat it for layers: -f base/ -f overlays/prod/) or --env NAME');
    return { files: flags.file, vars: process.env, stateFile: flags.stateFile };
  }
  if (flags.file.length) throw new UsageError('pass either -f or --env: an environment names its own files');
  const [env] = loadEnvironments(flags.environments ?? DEFAULT_ENVIRONMENTS_FILE).select([flags.env]);
  return { files: env!.files, vars: { ...process.env, ...env!.variables }, connection: opts.offline ? undefined : connectionOf(env!), stateFile: flags.stateFile ?? env!.stateFile };
}

async function withSession(flags: CommonFlags, fn: (desired: DesiredState, session: Session) => Promise<number>, opts: SessionNeeds): Promise<number> {
  const { files, vars, connection, stateFile } = opts.needsFile !== false ? target(flags) : { files: flags.file, vars: process.env, stateFile: undefined, connection: undefined };
  // The file is read and validated before any connection: a bad file fails fast and offline.
  const desired = opts.needsFile !== false ? loadDesired(files, { env: vars }) : (undefined as unknown as DesiredState);
  // Without an interrupt of its own (apply's), a command ends at once on a signal.
  const restoreSignals = opts.signal ? () => {} : endOnSignal();
  const logger = createLogger({ level: flags.logLevel, format: flags.logFormat, fd: 2 });
  try {
    return await withDeadline(opts.command, flags.deadline, { interrupt: opts.signal, abandon: !opts.writesState }, async (signal) => {
      const session = await openSession({
        // The state file goes beside the last layer (an environment's overlay) unless named.
        configPath: files[files.length - 1]!,
        stateFile,
        connection,
        concurrency: flags.concurrency,
        // The flag wins over the file.
        client: { rateShare: flags.rateShare ?? desired?.policy.rate_share },
        emulator: Boolean(flags.emulator),
        env: process.env,
        logger,
        startEmulator: embeddedEmulator,
        checkState: opts.writesState ? 'write' : undefined,
        signal,
        // A command that writes nothing abandons its requests in flight at the deadline; an apply lets them land.
        abortInFlight: !opts.writesState,
      });
      let release = () => {};
      try {
        if (opts.lock && session.statePath) {
          release = await lockStateFile(session.statePath, { timeoutMs: opts.lockTimeoutMs ?? 0, signal, onWait: (message) => output().stderr(message) });
          // A second interrupt exits at once: the lock goes with it, rather than waiting out its staleness.
          process.once('exit', release);
        }
        return await fn(desired, session);
      } finally {
        release();
        process.off('exit', release);
        await session.close();
      }
    });
  } catch (err) {
    // The last output an error reaches: whatever it quotes of the file's secrets is hidden here too.
    throw desired ? redactError(err, sensitiveValues(desired.objects.values(), secretFieldsOf)) : err;
  } finally {
    restoreSignals();
  }
}

/** After the deadline, the requests in flight have this long to end before the process exits at once. */
const DEADLINE_GRACE_MS = 30_000;

/**
 * Runs `fn` under `--deadline`: when it passes, the signal `fn` gets aborts (with `interrupt`, either aborts it): as
 * on an interrupt, no new request starts, and the requests in flight finish (an apply's writes) or are abandoned
 * (`abandon`: a command that writes nothing); past a grace period the process exits at once. A run that the
 * deadline cut short exits 1, with the deadline said in its error.
 */
async function withDeadline(command: string, ms: number, opts: { interrupt?: AbortSignal; abandon: boolean }, fn: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const { interrupt } = opts;
  const deadline = startDeadline(command, ms, (err) => {
    output().stderr(`${err.message}: ${opts.abandon ? 'stopping' : 'finishing the requests in flight; no new request starts'}`);
    setTimeout(() => {
      output().stderr(`${command} still running ${DEADLINE_GRACE_MS / 1000} s after its deadline: exiting now; a request in flight may or may not have landed (plan again to see)`);
      process.exit(1);
    }, DEADLINE_GRACE_MS).unref();
  });
  const signal = interrupt ? AbortSignal.any([interrupt, deadline.signal]) : deadline.signal;
  try {
    const code = await fn(signal);
    return deadline.passed ? Math.max(code, 1) : code;
  } catch (err) {
    if (!deadline.passed) throw err;
    // What was cut short says so (a request refused for the stop is only its symptom).
    const passed = deadline.signal.reason as Error;
    throw new Error(err instanceof StoppedError ? `${passed.message}: stopped; nothing was written` : `${passed.message}: ${errorMessage(err)}`);
  } finally {
    deadline.clear();
  }
}

/**
 * A reading command ends at once on SIGINT/SIGTERM, with the conventional status (as PID 1 in a container, a
 * signal without a handler would be ignored); a lock it holds goes with it (`exit` listeners). Returns the undo.
 */
function endOnSignal(): () => void {
  const endNow = (sig: NodeJS.Signals) => process.exit(sig === 'SIGINT' ? 130 : 143);
  process.once('SIGINT', endNow);
  process.once('SIGTERM', endNow);
  return () => {
    process.off('SIGINT', endNow);
    process.off('SIGTERM', endNow);
  };
}

/**
 * Runs `fn` with an interrupt signal, as Terraform does: the first SIGINT/SIGTERM says so and aborts it (the
 * requests in flight finish, no new one starts, the state file is written for what landed); a second one exits
 * at once. Exit 1 when interrupted.
 */
async function interruptible(fn: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const interrupt = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupt.signal.aborted) {
      process.stderr.write(`${sig} again: exiting now; a request in flight may or may not have landed (plan again to see)\n`);
      process.exit(1);
    }
    process.stderr.write(`interrupt received (${sig}): finishing the requests in flight; no new request starts (send it again to exit at once)\n`);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const code = await fn(interrupt.signal);
    return interrupt.signal.aborted ? Math.max(code, 1) : code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The flags the connected commands share; `export` reads the whole app, so it takes no file, target or state file. */
function commonOptions(cmd: Command, opts: { file?: boolean; manyEnvs?: boolean } = {}): Command {
  const file = opts.file !== false;
  if (file) fileOptions(cmd, opts);
  cmd
    .option('--emulator', 'start an embedded Stream API emulator and target it (demo, tests)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('warn'))
    .addOption(new Option('--log-format <format>', 'log format (default: pretty on a TTY, JSON otherwise)').choices(['json', 'pretty']))
    .addOption(new Option('--concurrency <n>', 'requests in flight at once').default(8).argParser(intArg('--concurrency', 1, 64)))
    .addOption(rateShareOption())
    .addOption(deadlineOption(opts.manyEnvs ? 'stop a reconcile still running after this long (e.g. 10m, 1h); the next trigger runs again' : 'give up when the command is still running after this long (e.g. 10m, 1h): as on an interrupt, exit 1'));
  if (!file) return cmd;
  return cmd
    .option('--target <address>', 'restrict to these addresses and what they depend on (repeatable; * matches any characters)', collect, [])
    .option('--state-file <path>', 'state file (default: .stream-sync/state.json beside the config)');
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('stream-sync')
    .description("Keep a Stream app's configuration equal to a YAML file in Git.")
    .version(VERSION, '--version')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });

  fileOptions(program.command('validate').description('parse, schema-check and cross-reference the desired state, offline (exit 0 valid, 1 invalid)'))
    .option('--explain <address>', 'show which layer (file:line:col) set each value of this object')
    .action((flags: CommonFlags & { explain?: string }) => {
      const { files, vars } = target(flags, { offline: true });
      const desired = loadDesired(files, { env: vars });
      // What may still be fine (a role the app may already have): said, located, without failing validation.
      for (const w of desired.warnings) output().stderr(w.location ? `${formatLocation(w.location)}: warning: ${w.message}` : `warning: ${w.message}`);
      const counts = new Map<string, number>();
      for (const o of desired.objects.values()) counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
      const summary = [...counts].map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`).join(', ') || 'no objects';
      output().stdout(`${flags.env ? `environment ${flags.env}` : files.join(' + ')}: valid (${desired.files.length} file${desired.files.length === 1 ? '' : 's'}: ${summary})`);
      if (flags.explain) output().stdout(explainText(desired, flags.explain));
      setExit(0);
    });

  commonOptions(program.command('plan').description('show what apply would do; writes nothing to the API'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--out <file>', 'also save the plan as JSON (for apply --plan); takes the state-file lock while planning')
    .option('--detailed-exitcode', 'exit 2 when there are changes (0 none, 1 error)')
    .addOption(lockTimeoutOption())
    .option('--explain <address>', 'also show, on stderr, which layer (file:line:col) set each value of this object')
    .action(async (flags: CommonFlags & { format: PlanFormat; out?: string; detailedExitcode?: boolean; lockTimeout?: number; explain?: string }) => {
      // A plan saved for apply is not made while another stream-sync is writing the app: it would be stale at once.
      const needs = { command: 'plan', lock: flags.out !== undefined, lockTimeoutMs: flags.lockTimeout };
      setExit(
        await withSession(
          flags,
          (desired, session) => {
            if (flags.explain) output().stderr(explainText(desired, flags.explain));
            return runPlan(desired, { format: flags.format, out: flags.out, detailedExitcode: Boolean(flags.detailedExitcode), targets: flags.target }, session, output());
          },
          needs,
        ),
      );
    });

  commonOptions(program.command('apply').description('compute the plan and execute it (exit 0 applied or nothing to do, 1 error)'))
    .option('--dry-run', 'print the plan and stop')
    .option('--plan <file>', 'execute exactly this saved JSON plan; refused when the live state has moved since')
    .addOption(new Option('--allow-deletes <n>', 'raise policy.max_deletes for this run').argParser(intArg('--allow-deletes', 0, 1_000_000)))
    .option('--verify', 'after apply, run the live checks touching what changed (exit 1 if any fails)')
    .addOption(lockTimeoutOption())
    .action(async (flags: CommonFlags & { dryRun?: boolean; plan?: string; allowDeletes?: number; verify?: boolean; lockTimeout?: number }) => {
      const apply = { dryRun: Boolean(flags.dryRun), planFile: flags.plan, allowDeletes: flags.allowDeletes, targets: flags.target, verify: Boolean(flags.verify) };
      // An apply records fingerprints and the user inventory: a state file it cannot write fails it before any
      // write, and a second writer on the same state file is refused (or waited for) before anything is read.
      const writes = !apply.dryRun;
      setExit(await interruptible((signal) => withSession(flags, (desired, session) => runApply(desired, apply, session, output()), { command: 'apply', writesState: writes, lock: writes, lockTimeoutMs: flags.lockTimeout, signal })));
    });

  commonOptions(program.command('check').description('run the live checks Stream offers for what the file declares (exit 0 all pass, 1 any fails)'))
    .action(async (flags: CommonFlags) => {
      setExit(await withSession(flags, (desired, session) => runCheck(desired, { targets: flags.target }, session, output()), { command: 'check' }));
    });

  commonOptions(program.command('export').description('write the live configuration as a desired-state file (secrets as ${env:…} placeholders)'), { file: false })
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .option('--kinds <list>', `comma-separated kinds to export (${EXPORTABLE_SECTIONS.join(', ')})`, (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .action(async (flags: CommonFlags & { output?: string; kinds?: string[] }) => {
      setExit(await withSession({ ...flags, file: [flags.output ?? '.'] }, (_d, session) => runExport({ output: flags.output, kinds: flags.kinds }, session, output()), { command: 'export', needsFile: false }));
    });

  program
    .command('diff')
    .description("show what would change in the second environment's app if it matched the first's live configuration (secrets excluded); writes nothing")
    .option('--env <name>', 'the source environment, then the target: give it twice (--env staging --env prod)', (v: string, previous?: string[]) => [...(previous ?? []), v])
    .option('--environments <file>', `the environments file (default: ${DEFAULT_ENVIRONMENTS_FILE})`)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--kinds <list>', `comma-separated kinds to compare (${EXPORTABLE_SECTIONS.join(', ')}; default: those export writes)`, (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--prune', "show the target's objects the source lacks as deletes (default: warnings)")
    .option('--detailed-exitcode', 'exit 2 when there are changes (0 none, 1 error)')
    .option('--target <address>', 'restrict to these addresses (repeatable; * matches any characters)', collect, [])
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('warn'))
    .addOption(new Option('--log-format <format>', 'log format (default: pretty on a TTY, JSON otherwise)').choices(['json', 'pretty']))
    .addOption(new Option('--concurrency <n>', 'requests in flight at once, per app').default(8).argParser(intArg('--concurrency', 1, 64)))
    .addOption(rateShareOption())
    .addOption(deadlineOption('give up when the command is still running after this long (e.g. 10m, 1h): exit 1'))
    .action(async (flags: DiffCliFlags) => {
      setExit(await diffEnvironments(flags));
    });

  commonOptions(program.command('watch').description('daemon: reconcile now, then on every change of the file(s) and every interval (exit 0 on SIGTERM/SIGINT)'), { manyEnvs: true })
    .option('--interval <duration>', "resync period, shortened by up to 10% jitter (e.g. 30s, 5m, 1h), or auto: the shortest that keeps the daemon under its --rate-share of every endpoint", '5m')
    .option('--dry-run', 'only report drift (a log line per drifted address, and a gauge); apply nothing')
    .option('--listen <host:port>', 'serve /healthz, /readyz and /metrics there (e.g. 127.0.0.1:9464)')
    .option('--poll', 'poll the file system instead of relying on its events (network filesystems)')
    .addOption(new Option('--ready-failures <n>', '/readyz answers 503 once this many runs in a row have failed since the last success').default(3).argParser(intArg('--ready-failures', 1, 1000)))
    .action(async (flags: Omit<CommonFlags, 'env'> & { env?: string[]; interval: string; dryRun?: boolean; listen?: string; poll?: boolean; readyFailures: number }, cmd: Command) => {
      // Signals are caught before anything starts: a SIGTERM during startup still ends in a clean stop, within 10 s
      // even if something keeps the event loop alive. A second signal stops at once.
      const stop = new AbortController();
      const onSignal = () => {
        if (stop.signal.aborted) process.exit(1);
        stop.abort();
        setTimeout(() => process.exit(0), 9_500).unref();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      // SIGHUP asks the daemon for a run now; until it is up, one must not end the process (its default).
      const ignoreHangup = () => {};
      process.on('SIGHUP', ignoreHangup);
      // Loaded here so the other commands never load chokidar and prom-client.
      const { runWatch } = await import('./daemon/watch.js');
      // A daemon logs each run at info (the other commands default to warn), on stdout.
      const level = cmd.getOptionValueSource('logLevel') === 'default' ? 'info' : flags.logLevel;
      const logger = createLogger({ level, format: flags.logFormat, fd: 1 });
      // The embedded emulator's connection, on stderr as shell lines: a second terminal can plan or export against
      // it. A local, throwaway secret: said here once, never logged.
      const startAndTell = async () => {
        const e = await embeddedEmulator();
        process.stderr.write(`embedded emulator: to plan or export against it from another terminal,\n  export STREAM_BASE_URL=${e.baseUrl} STREAM_API_KEY=${e.apiKey} STREAM_API_SECRET=${e.apiSecret}\n`);
        return e;
      };
      const io = { env: process.env, cwd: process.cwd(), logger, signal: stop.signal, startEmulator: startAndTell, onHangup: (listener: () => void) => process.on('SIGHUP', listener) };
      const envs = flags.env ?? [];
      if (envs.length === 0 && !flags.environments) {
        setExit(await runWatch(flags, io));
        return;
      }
      // Several apps in one daemon: each environment brings its own layers, credentials, state file and interval.
      if (flags.file.length) throw new UsageError('watch: pass either -f or --env/--environments: an environment names its own files');
      if (flags.emulator) throw new UsageError('watch: --emulator works with -f only');
      if (flags.stateFile) throw new UsageError('watch: --state-file works with -f only (an environment names its state_file)');
      const { runWatchEnvironments } = await import('./daemon/environments.js');
      const many = { environmentsFile: flags.environments ?? DEFAULT_ENVIRONMENTS_FILE, names: envs, listen: flags.listen, poll: flags.poll, concurrency: flags.concurrency, targets: flags.target, readyFailures: flags.readyFailures, interval: flags.interval, dryRun: flags.dryRun, rateShare: flags.rateShare, deadline: flags.deadline };
      setExit(await runWatchEnvironments(many, io));
    });

  program
    .command('emulator')
    .description('run the local Stream API emulator and print its base URL, API key and secret')
    .addOption(new Option('--port <port>', 'port to listen on (0 picks a free one)').default(4600).argParser(intArg('--port', 0, 65535)))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--api-key <key>', 'API key of the emulated app (its secret comes from STREAM_EMULATOR_API_SECRET, or is generated)', 'emulator')
    .addOption(new Option('--latency <ms>', 'added latency per request, with 20% jitter').argParser(intArg('--latency', 0, 600_000)))
    .addOption(new Option('--rate-limits <mode>', 'rate limits to enforce').choices(['published', 'off']).default('published'))
    .addOption(new Option('--fault-rate <p>', 'probability of an injected fault per request (5xx, 429, reset, non-JSON)').argParser(floatArg('--fault-rate', 0, 1)))
    .addOption(new Option('--seed <n>', 'seed for generated ids and faults').argParser(intArg('--seed', 0, 2 ** 31)))
    .option('--data <file>', 'load state from FILE on start and save it there on exit')
    .addOption(new Option('--task-step <ms>', 'how long async tasks stay pending, then running').default(50).argParser(intArg('--task-step', 0, 600_000)))
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'))
    .addOption(new Option('--log-format <format>', 'log format (default: pretty on a TTY, JSON otherwise)').choices(['json', 'pretty']))
    .action(async (opts: EmulatorFlags) => {
      // Signals are caught before anything is printed: a SIGTERM right after the banner still saves --data.
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      const logger = createLogger({ level: opts.logLevel, format: opts.logFormat as LogFormat | undefined });
      const secret = process.env.STREAM_EMULATOR_API_SECRET ?? randomBytes(24).toString('hex');
      // A --data file that exists brings its own apps (and their secrets) unless a secret is given explicitly.
      const reuseSaved = opts.data !== undefined && existsSync(opts.data) && !process.env.STREAM_EMULATOR_API_SECRET;
      const [{ startEmulator }, { faultsFromFlags }] = await Promise.all([import('./emulator/server.js'), import('./emulator/faults.js')]);
      const emulator = await startEmulator({
        port: opts.port,
        host: opts.host,
        apps: reuseSaved ? undefined : [{ key: opts.apiKey, secret }],
        rateLimits: opts.rateLimits,
        faults: faultsFromFlags({ latencyMs: opts.latency, faultRate: opts.faultRate, seed: opts.seed }),
        seed: opts.seed,
        dataFile: opts.data,
        taskStepMs: opts.taskStep,
        logger,
      });
      process.stdout.write(`base url: ${emulator.url}\napi key: ${emulator.apiKey}\napi secret: ${emulator.apiSecret}\n`);
      await stopped;
      await emulator.close();
      logger.info('emulator stopped');
      setExit(0);
    });

  return program;
}

interface DiffCliFlags {
  env?: string[];
  environments?: string;
  format: PlanFormat;
  kinds?: string[];
  prune?: boolean;
  detailedExitcode?: boolean;
  target: string[];
  logLevel: string;
  logFormat?: LogFormat;
  concurrency: number;
  rateShare?: number;
  deadline: number;
}

/** `diff --env SOURCE --env TARGET`: a session per environment (its own credentials and state file), reads only. */
async function diffEnvironments(flags: DiffCliFlags): Promise<number> {
  const [from, to, ...more] = flags.env ?? [];
  if (!from || !to || more.length || from === to) throw new UsageError('diff compares two environments: --env SOURCE --env TARGET (e.g. --env staging --env prod)');
  const environments = loadEnvironments(flags.environments ?? DEFAULT_ENVIRONMENTS_FILE).select([from, to]);
  const restoreSignals = endOnSignal();
  const logger = createLogger({ level: flags.logLevel, format: flags.logFormat, fd: 2 });
  try {
    return await withDeadline('diff', flags.deadline, { abandon: true }, async (signal) => {
      const sessions: Session[] = [];
      try {
        for (const e of environments) {
          sessions.push(
            await openSession({
              configPath: e.files[e.files.length - 1]!,
              connection: connectionOf(e),
              stateFile: e.stateFile,
              concurrency: flags.concurrency,
              client: { rateShare: flags.rateShare },
              emulator: false,
              env: process.env,
              logger,
              startEmulator: embeddedEmulator,
              signal,
              abortInFlight: true,
            }),
          );
        }
        const diff = { format: flags.format, kinds: flags.kinds, prune: Boolean(flags.prune), detailedExitcode: Boolean(flags.detailedExitcode), targets: flags.target, names: { source: from, target: to } };
        return await runDiff(diff, sessions[0]!, sessions[1]!, output());
      } finally {
        await Promise.all(sessions.map((s) => s.close()));
      }
    });
  } finally {
    restoreSignals();
  }
}

interface EmulatorFlags {
  port: number;
  host: string;
  apiKey: string;
  latency?: number;
  rateLimits: 'published' | 'off';
  faultRate?: number;
  seed?: number;
  data?: string;
  taskStep: number;
  logLevel: string;
  logFormat?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `-f` (repeatable: layers), `--env` and `--environments`. */
function fileOptions(cmd: Command, opts: { manyEnvs?: boolean } = {}): Command {
  cmd.option('-f, --file <path>', 'desired-state file, or a directory of *.yaml/*.yml files; repeat for layers (a base, then overlays)', collect, []);
  if (opts.manyEnvs) {
    return cmd
      .option('--env <name>', 'an environment of the environments file (its layers, app credentials, state file); repeat for several apps in one daemon', collect, [])
      .option('--environments <file>', `the environments file (default: ${DEFAULT_ENVIRONMENTS_FILE}); alone, every environment in it`);
  }
  return cmd
    .option('--env <name>', 'an environment of the environments file: its layers, app credentials and state file')
    .option('--environments <file>', `the environments file --env reads (default: ${DEFAULT_ENVIRONMENTS_FILE})`);
}

/** `--explain ADDRESS`: each value of the object, the layer that set it, masked when sensitive. */
function explainText(desired: DesiredState, address: string): string {
  const origins = desired.explain?.(address);
  if (!origins) throw new UsageError(`--explain: ${address} is not declared in ${desired.files.join(', ')}`);
  const lines = origins.map((o) => `  ${o.path} = ${o.sensitive ? '(sensitive value)' : JSON.stringify(o.value)}    ${formatLocation(o.location)}`);
  return `${address}:\n${lines.join('\n')}`;
}

function rateShareOption(): Option {
  return new Option('--rate-share <percent>', "the percentage of each Stream endpoint's rate-limit window stream-sync may use, leaving the rest to the app's own backend (default: policy.rate_share, else 50)").argParser(
    intArg('--rate-share', 1, 100),
  );
}

function deadlineOption(help: string): Option {
  return new Option('--deadline <duration>', help).default(parseDuration('--deadline', DEFAULT_DEADLINE), DEFAULT_DEADLINE).argParser(durationArg('--deadline'));
}

function durationArg(flag: string) {
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

function lockTimeoutOption(): Option {
  return new Option('--lock-timeout <duration>', "wait up to this long for another stream-sync's state-file lock (e.g. 30s, 5m; default: refuse at once)").argParser((v: string) => {
    try {
      return parseDuration('--lock-timeout', v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  });
}

function intArg(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}.`);
    return n;
  };
}

function floatArg(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a number from ${min} to ${max}.`);
    return n;
  };
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    // Only commander's codes are strings of that form: an ApiError's `code` is Stream's number.
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return 1;
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.issues.map(formatIssue).join('\n')}\n${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} in the desired state: nothing was changed.\n`);
      return 1;
    }
    process.stderr.write(`error: ${e.message ?? String(err)}\n`);
    return 1;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
