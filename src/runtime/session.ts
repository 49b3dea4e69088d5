import type { Logger } from 'pino';
import type { EngineDeps } from './engine.js';
import { type ApiClient, createApiClient } from '../live/client.js';
import { StateFile } from '../state/state-file.js';
import { type Connection, connectionFromEnv, defaultStateFile } from './connection.js';

/** A running emulator as the CLI embeds it (`--emulator`); the reconciler itself never imports the emulator. */
export interface EmbeddedEmulator extends Connection {
  close(): Promise<void>;
}

export interface SessionOptions {
  configPath: string;
  stateFile?: string;
  concurrency: number;
  emulator: boolean;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  startEmulator: () => Promise<EmbeddedEmulator>;
}

export interface Session {
  deps: EngineDeps;
  client: ApiClient;
  close(): Promise<void>;
}

/**
 * Connection, HTTP client and state file for one command. With `--emulator` the target is an embedded emulator
 * and the state file stays in memory (the emulator's app is new every run).
 */
export async function openSession(opts: SessionOptions): Promise<Session> {
  const emulator = opts.emulator ? await opts.startEmulator() : undefined;
  const conn = emulator ?? connectionFromEnv(opts.env);
  const client = createApiClient({ baseUrl: conn.baseUrl, apiKey: conn.apiKey, apiSecret: conn.apiSecret, concurrency: opts.concurrency, logger: opts.logger });
  const state = StateFile.open(emulator ? undefined : (opts.stateFile ?? defaultStateFile(opts.configPath)), conn.apiKey, conn.apiSecret);
  return {
    client,
    deps: { api: client, state, target: { base_url: conn.baseUrl, api_key: conn.apiKey }, concurrency: opts.concurrency, logger: opts.logger },
    async close() {
      await client.close();
      await emulator?.close();
    },
  };
}
