import { runDiff } from '../commands/diff.js';
import { type EmbeddedEmulator, openSession, type Session } from '../runtime/session.js';
import { UsageError } from '../core/errors.js';
import { DEFAULT_ENVIRONMENTS_FILE, loadEnvironments } from '../desired/environments.js';
import { connectionOf } from '../runtime/connection.js';
import { createLogger, type LogFormat } from '../runtime/logger.js';
import type { PlanFormat } from '../plan/render/index.js';
import { endOnSignal, output, withDeadline } from './session.js';

export interface DiffCliFlags {
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
export async function diffEnvironments(flags: DiffCliFlags, startEmulator: () => Promise<EmbeddedEmulator>): Promise<number> {
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
              startEmulator,
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
