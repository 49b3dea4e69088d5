#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { faultsFromFlags } from './emulator/faults.js';
import { startEmulator } from './emulator/server.js';
import { createLogger, type LogFormat } from './logger.js';
import { VERSION } from './version.js';

/** The composition root: argv and environment in, exit code out. The only module that touches `process`. */
export function buildProgram(): Command {
  const program = new Command('stream-sync')
    .description('Keep a Stream app\'s configuration equal to a YAML file in Git.')
    .version(VERSION, '--version')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });

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
      const logger = createLogger({ level: opts.logLevel, format: opts.logFormat as LogFormat | undefined });
      const secret = process.env.STREAM_EMULATOR_API_SECRET;
      const emulator = await startEmulator({
        port: opts.port,
        host: opts.host,
        apps: secret ? [{ key: opts.apiKey, secret }] : opts.data ? undefined : [{ key: opts.apiKey, secret: randomSecret() }],
        rateLimits: opts.rateLimits,
        faults: faultsFromFlags({ latencyMs: opts.latency, faultRate: opts.faultRate, seed: opts.seed }),
        seed: opts.seed,
        dataFile: opts.data,
        taskStepMs: opts.taskStep,
        logger,
      });
      process.stdout.write(`base url: ${emulator.url}\napi key: ${emulator.apiKey}\napi secret: ${emulator.apiSecret}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await emulator.close();
      logger.info('emulator stopped');
    });

  return program;
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

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('hex');
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
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    if (e.code?.startsWith('commander.')) return 1;
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
