import { randomBytes } from 'node:crypto';
import type { EmbeddedEmulator } from '../runtime/session.js';

/**
 * The emulator's modules, as the composition root (src/cli.ts) loads them on demand: plan and apply against Stream
 * never pay for them, and the program's definition (which the reference generator imports) never loads them.
 */
export interface EmulatorModules {
  startEmulator: typeof import('../emulator/server.js').startEmulator;
  faultsFromFlags: typeof import('../emulator/faults.js').faultsFromFlags;
}

export type LoadEmulator = () => Promise<EmulatorModules>;

/** For a program built without the root's loader (the reference generator, tests that only parse). */
export const noEmulator: LoadEmulator = () => Promise.reject(new Error('this program was built without the emulator (run the stream-sync CLI)'));

/** An in-process emulator for `--emulator`: a new app, published rate limits, nothing persisted. */
export function embeddedEmulator(load: LoadEmulator): () => Promise<EmbeddedEmulator> {
  return async () => {
    const { startEmulator } = await load();
    const emu = await startEmulator({ port: 0, apps: [{ key: 'emulator', secret: randomBytes(24).toString('hex'), name: 'emulator' }] });
    return { baseUrl: emu.url, apiKey: emu.apiKey, apiSecret: emu.apiSecret, close: () => emu.close() };
  };
}
