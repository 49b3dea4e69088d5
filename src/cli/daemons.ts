import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { UsageError } from '../core/errors.js';
import { DEFAULT_ENVIRONMENTS_FILE } from '../desired/environments.js';
import { createLogger, type LogFormat } from '../runtime/logger.js';
import { embeddedEmulator, type LoadEmulator } from './emulator.js';
import { type CommonFlags, commonOptions, floatArg, intArg, logFormatOption, logLevelOption } from './options.js';

/** The long-running commands: `watch` (the daemon) and `emulator` (the local Stream API). */

type WatchFlags = Omit<CommonFlags, 'env'> & { env?: string[]; interval: string; dryRun?: boolean; listen?: string; poll?: boolean; readyFailures: number };

export function watchCommand(program: Command, setExit: (code: number) => void, loadEmulator: LoadEmulator): Command {
  return commonOptions(program.command('watch').description('daemon: reconcile now, then on every change of the file(s) and every interval (exit 0 on SIGTERM/SIGINT)'), { manyEnvs: true })
    .option('--interval <duration>', "resync period, shortened by up to 10% jitter (e.g. 30s, 5m, 1h), or auto: the shortest that keeps the daemon under its --rate-share of every endpoint", '5m')
    .option('--dry-run', 'only report drift (a log line per drifted address, and a gauge); apply nothing')
    .option('--listen <host:port>', 'serve /healthz, /readyz and /metrics there (e.g. 127.0.0.1:9464)')
    .option('--poll', 'poll the file system instead of relying on its events (network filesystems)')
    .addOption(new Option('--ready-failures <n>', '/readyz answers 503 once this many runs in a row have failed since the last success').default(3).argParser(intArg('--ready-failures', 1, 1000)))
    .action(async (flags: WatchFlags, cmd: Command) => {
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
      const { runWatch } = await import('../daemon/watch.js');
      // A daemon logs each run at info (the other commands default to warn), on stdout.
      const level = cmd.getOptionValueSource('logLevel') === 'default' ? 'info' : flags.logLevel;
      const logger = createLogger({ level, format: flags.logFormat, fd: 1 });
      // The embedded emulator's connection, on stderr as shell lines: a second terminal can plan or export against
      // it. A local, throwaway secret: said here once, never logged.
      const startAndTell = async () => {
        const e = await embeddedEmulator(loadEmulator)();
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
      const { runWatchEnvironments } = await import('../daemon/environments.js');
      const many = { environmentsFile: flags.environments ?? DEFAULT_ENVIRONMENTS_FILE, names: envs, listen: flags.listen, poll: flags.poll, concurrency: flags.concurrency, targets: flags.target, readyFailures: flags.readyFailures, interval: flags.interval, dryRun: flags.dryRun, rateShare: flags.rateShare, deadline: flags.deadline };
      setExit(await runWatchEnvironments(many, io));
    });
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

export function emulatorCommand(program: Command, setExit: (code: number) => void, loadEmulator: LoadEmulator): Command {
  return program
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
    .addOption(logLevelOption('info'))
    .addOption(logFormatOption())
    .action(async (opts: EmulatorFlags, cmd: Command) => {
      // Signals are caught before anything is printed: a SIGTERM right after the banner still saves --data.
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      const logger = createLogger({ level: opts.logLevel, format: opts.logFormat as LogFormat | undefined });
      const secret = process.env.STREAM_EMULATOR_API_SECRET ?? randomBytes(24).toString('hex');
      // A --data file that exists brings its own apps (and their secrets) unless a secret is given explicitly.
      const reuseSaved = opts.data !== undefined && existsSync(opts.data) && !process.env.STREAM_EMULATOR_API_SECRET;
      const { startEmulator, faultsFromFlags } = await loadEmulator();
      const emulator = await startEmulator({
        port: opts.port,
        host: opts.host,
        apps: reuseSaved ? undefined : [{ key: opts.apiKey, secret }],
        // The saved apps are kept; --api-key names the one to print (created when the file lacks it).
        primaryApp: reuseSaved && cmd.getOptionValueSource('apiKey') === 'cli' ? opts.apiKey : undefined,
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
}
