import type { Logger } from 'pino';
import { type ApiClient, type ApiClientOptions, createApiClient } from '../live/client.js';
import { StateFile } from '../state/state-file.js';
import type { Api } from '../core/api.js';
import { type Connection, connectionFromEnv, defaultStateFile } from './connection.js';
import type { EngineDeps } from './engine.js';
import { checkStatePath } from './state-path.js';
import { abortableSleep, stoppableApi } from './stopping.js';

/** A running emulator as the CLI embeds it (`--emulator`); the reconciler itself never imports the emulator. */
export interface EmbeddedEmulator extends Connection {
  close(): Promise<void>;
}

export interface SessionOptions {
  configPath: string;
  /** A named environment's connection (`--env`): used instead of the STREAM_* variables. */
  connection?: Connection;
  stateFile?: string;
  concurrency: number;
  emulator: boolean;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  startEmulator: () => Promise<EmbeddedEmulator>;
  /** Client tuning beyond the connection (the daemon's timeouts, back-off, clock, metrics and stop-aware sleep). */
  client?: Omit<ApiClientOptions, 'baseUrl' | 'apiKey' | 'apiSecret' | 'concurrency'>;
  /** The daemon reads the state file afresh for each run (another process may have written it): not at open. */
  statePerRun?: boolean;
  /**
   * Check the state file's path now, with a message that says what to do (exit 1), not as a failure of every run:
   * `write` (apply, watch) creates its directory and checks it is writable; `read` (watch --dry-run reads the
   * writer's file) checks that the file can exist and, if it does, that it parses.
   */
  checkState?: 'write' | 'read';
  /**
   * An interrupt (SIGINT/SIGTERM during `apply`): once it aborts, no new request starts and no pacing or back-off
   * wait runs on; the requests in flight finish, and the executor reports the rest as interrupted.
   */
  signal?: AbortSignal;
  /** When `signal` aborts, the requests in flight are abandoned too (a reading command: nothing to finish). */
  abortInFlight?: boolean;
}

export interface Session {
  conn: Connection;
  client: ApiClient;
  /** The state file's path; undefined with `--emulator` (its app is new every run: the state lives in memory). */
  statePath?: string;
  /** Whether the state file existed when the session opened (with `checkState`). */
  stateExists?: boolean;
  emulator?: EmbeddedEmulator;
  /** The state file as it is now on disk (another process may have written it), or the in-memory one. */
  openState(): StateFile;
  /** What one command's reconcile needs, with the state file opened once. */
  readonly deps: EngineDeps;
  /** What a reconcile needs, with a state file of the caller's (the library opens its own for each call). */
  depsWith(state: StateFile): EngineDeps;
  close(): Promise<void>;
}

/**
 * Connection, HTTP client and state file, for every command and the daemon alike. With `--emulator` the target is
 * an embedded emulator and the state file stays in memory (the emulator's app is new every run).
 */
export async function openSession(opts: SessionOptions): Promise<Session> {
  const emulator = opts.emulator ? await opts.startEmulator() : undefined;
  try {
    const conn = emulator ?? opts.connection ?? connectionFromEnv(opts.env, opts.logger);
    const statePath = emulator ? undefined : (opts.stateFile ?? defaultStateFile(opts.configPath));
    const stateExists = statePath && opts.checkState ? checkStatePath(statePath, { dryRun: opts.checkState === 'read' }).exists : undefined;
    const { signal } = opts;
    const client = createApiClient({
      logger: opts.logger,
      ...(signal ? { sleep: (ms: number) => abortableSleep(ms, signal) } : {}),
      ...opts.client,
      ...(signal && opts.abortInFlight ? { abortInFlight: signal } : {}),
      baseUrl: conn.baseUrl,
      apiKey: conn.apiKey,
      apiSecret: conn.apiSecret,
      concurrency: opts.concurrency,
    });
    const api: Api = signal ? stoppableApi(client, signal) : client;
    const memory = statePath ? undefined : StateFile.open(undefined, conn.apiKey, conn.apiSecret);
    const openState = () => memory ?? StateFile.open(statePath, conn.apiKey, conn.apiSecret);
    // A command opens the state file before any request (an unreadable one fails offline); the daemon opens it
    // afresh for each run instead.
    let deps: EngineDeps | undefined = opts.statePerRun ? undefined : depsWith(openState());
    function depsWith(state: StateFile): EngineDeps {
      return { api, state, target: { base_url: conn.baseUrl, api_key: conn.apiKey }, concurrency: opts.concurrency, logger: opts.logger, signal };
    }
    return {
      conn,
      client,
      statePath,
      stateExists,
      emulator,
      openState,
      depsWith,
      get deps() {
        return (deps ??= depsWith(openState()));
      },
      async close() {
        await client.close();
        await emulator?.close();
      },
    };
  } catch (err) {
    await emulator?.close();
    throw err;
  }
}
