import type { Output } from '../commands/output.js';
import { type EmbeddedEmulator, openSession, type Session } from '../runtime/session.js';
import { loadDesired } from '../desired/load.js';
import { errorMessage, StoppedError, UsageError } from '../core/errors.js';
import { startDeadline } from '../runtime/deadline.js';
import { DEFAULT_ENVIRONMENTS_FILE, loadEnvironments } from '../desired/environments.js';
import { type Connection, connectionOf } from '../runtime/connection.js';
import { redactError, sensitiveValues } from '../core/secrets.js';
import { secretFieldsOf } from '../kinds/registry.js';
import { createLogger } from '../runtime/logger.js';
import type { DesiredState } from '../core/model.js';
import { lockStateFile } from '../runtime/lock.js';
import type { CommonFlags } from './options.js';

/** A command's stdout and stderr, and whether its output may be coloured (a TTY, and no NO_COLOR). */
export const output = (): Output => ({
  stdout: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  stderr: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
});

export interface SessionNeeds {
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

/** A named environment of the environments file (`--env NAME`, `--environments FILE`). */
export function environment(flags: { env?: string; environments?: string }) {
  const [env] = loadEnvironments(flags.environments ?? DEFAULT_ENVIRONMENTS_FILE).select([flags.env!]);
  return env!;
}

/**
 * What `-f` or `--env` names: the layers, the connection (an environment's own, or the STREAM_* variables) and the
 * state file. `--env` takes all three from the environments file, so that one environment's files are never
 * planned against another's app.
 */
export function target(flags: CommonFlags, opts: { offline?: boolean } = {}): { files: string[]; vars: NodeJS.ProcessEnv; connection?: Connection; stateFile?: string } {
  if (!flags.env) {
    if (flags.environments) throw new UsageError('--environments names the file --env reads: pass --env NAME too');
    if (flags.file.length === 0) throw new UsageError('pass -f PATH (repeat it for layers: -f base/ -f overlays/prod/) or --env NAME');
    return { files: flags.file, vars: process.env, stateFile: flags.stateFile };
  }
  if (flags.file.length) throw new UsageError('pass either -f or --env: an environment names its own files');
  const env = environment(flags);
  return { files: env.files, vars: { ...process.env, ...env.variables }, connection: opts.offline ? undefined : connectionOf(env), stateFile: flags.stateFile ?? env.stateFile };
}

export async function withSession(
  flags: CommonFlags,
  startEmulator: () => Promise<EmbeddedEmulator>,
  fn: (desired: DesiredState, session: Session) => Promise<number>,
  opts: SessionNeeds,
): Promise<number> {
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
        startEmulator,
        checkState: opts.writesState ? 'write' : undefined,
        // A command that locks the state file reads it once the lock is held: read before, a writer that held the
        // lock meanwhile would have its update overwritten by this command's save.
        statePerRun: Boolean(opts.lock),
        signal,
        // A command that writes nothing abandons its requests in flight at the deadline; an apply lets them land.
        abortInFlight: !opts.writesState,
      });
      let release = () => {};
      try {
        if (opts.lock && session.statePath) {
          release = await lockStateFile(session.statePath, { timeoutMs: opts.lockTimeoutMs ?? 0, signal, onWait: (message) => output().stderr(message) });
          // The state file, read now that the lock is held, and before any request (an unreadable one fails offline).
          void session.deps;
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
export async function withDeadline(command: string, ms: number, opts: { interrupt?: AbortSignal; abandon: boolean }, fn: (signal: AbortSignal) => Promise<number>): Promise<number> {
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
export function endOnSignal(): () => void {
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
export async function interruptible(fn: (signal: AbortSignal) => Promise<number>): Promise<number> {
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
