import { afterAll, beforeAll } from 'vitest';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { TestApi } from './api.js';
import { loadSpec } from './spec.js';

export interface EmulatorFixture {
  emu: RunningEmulator;
  /** Spec-validating client (validation is on whenever the spec is present). */
  api: TestApi;
}

/** Starts an emulator on port 0 for the enclosing suite and closes it afterwards. */
export function useEmulator(options: EmulatorOptions = {}): EmulatorFixture {
  const fixture = {} as EmulatorFixture;
  beforeAll(async () => {
    fixture.emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, ...options });
    fixture.api = new TestApi(fixture.emu, loadSpec());
  });
  afterAll(async () => {
    await fixture.emu?.close();
  });
  return fixture;
}

/**
 * Whether the emulator's answered request wrote something: any method but GET, except the queries Stream serves as
 * POST (QueryPolls, query_moderation_configs, query_moderation_rules), which only read.
 */
export const isWrite = (r: { method: string; op: string }): boolean => r.method !== 'GET' && !/^query/i.test(r.op);
