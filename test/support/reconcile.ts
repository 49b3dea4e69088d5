import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDesired } from '../../src/desired/load.js';
import { type Applied, applyPlan, checkDeleteGuard, type EngineDeps, type Planned, planFor } from '../../src/runtime/engine.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { type ApiClient, createApiClient } from '../../src/live/client.js';
import type { DesiredState } from '../../src/core/model.js';
import type { Api, ApiRequest } from '../../src/core/api.js';
import { StateFile } from '../../src/state/state-file.js';
import { loadSpec } from './spec.js';

/** Writes `yaml` to a fresh temp file and loads it as the CLI would. */
export function desiredFromYaml(yaml: string, env: NodeJS.ProcessEnv = {}): DesiredState {
  const dir = mkdtempSync(join(tmpdir(), 'desired-'));
  const file = join(dir, 'stream.yaml');
  writeFileSync(file, yaml);
  return loadDesired(file, { env, cwd: dir });
}

export interface Harness {
  client: ApiClient;
  /** Every request the engine sent, in order (before transport). */
  sent: ApiRequest[];
  state: StateFile;
  deps: EngineDeps;
  plan(yaml: string, opts?: { env?: NodeJS.ProcessEnv; targets?: string[] }): Promise<Planned & { desired: DesiredState }>;
  /** Plans, checks the delete guard, applies, and reads back. */
  apply(yaml: string, opts?: { env?: NodeJS.ProcessEnv; allowDeletes?: number }): Promise<Applied & Planned & { desired: DesiredState }>;
  close(): Promise<void>;
}

/** The reconciler wired to an emulator the way the CLI wires it, with the state file kept in memory. */
export function harness(emu: RunningEmulator, opts: { concurrency?: number; apiKey?: string; apiSecret?: string; timeoutMs?: number } = {}): Harness {
  const apiKey = opts.apiKey ?? emu.apiKey;
  const apiSecret = opts.apiSecret ?? emu.apiSecret;
  // `timeoutMs`: a small client timeout, for tests that hold answers back past it (the client's default is 10 s).
  const client = createApiClient({ baseUrl: emu.url, apiKey, apiSecret, concurrency: opts.concurrency ?? 8, minBackoffMs: 5, maxBackoffMs: 50, timeoutMs: opts.timeoutMs });
  const state = StateFile.open(undefined, apiKey, apiSecret);
  // Every request body the engine sends is held to the official spec's request schema (when the spec is present).
  // Chat operations (channel types, commands) are held to the chat spec, every other one to the video spec.
  const specs = [loadSpec(), loadSpec('chat')];
  const specOf = (op: string) => specs.find((s) => s?.has(op));
  const sent: ApiRequest[] = [];
  const violations: string[] = [];
  const api: Api = {
    send(req) {
      sent.push(req);
      const spec = specOf(req.op);
      if (!spec && specs.every(Boolean)) violations.push(`${req.op}: in neither the video nor the chat spec`);
      if (spec && req.body !== undefined) {
        const errors = spec.validateRequest(req.op, req.body);
        if (errors.length) violations.push(`${req.op}: ${errors.join('; ')} in ${JSON.stringify(req.body).slice(0, 300)}`);
      }
      return client.send(req);
    },
  };
  const deps: EngineDeps = { api, state, target: { base_url: emu.url, api_key: apiKey }, concurrency: opts.concurrency ?? 8 };
  return {
    client,
    sent,
    state,
    deps,
    async plan(yaml, o = {}) {
      const desired = desiredFromYaml(yaml, o.env);
      return { ...(await planFor(deps, desired, { targets: o.targets })), desired };
    },
    async apply(yaml, o = {}) {
      const desired = desiredFromYaml(yaml, o.env);
      const planned = await planFor(deps, desired);
      checkDeleteGuard(planned.plan, desired, o.allowDeletes);
      return { ...planned, ...(await applyPlan(deps, planned.plan, desired, undefined, { fullScope: true })), desired };
    },
    async close() {
      await client.close();
      if (violations.length) throw new Error(`requests that do not match the official spec:\n${violations.join('\n')}`);
    },
  };
}

/** Runs `fn` against a fresh emulator (port 0, no rate limits, tasks done at once) and a harness on it, then closes both. */
export async function withApp<T>(fn: (h: Harness) => Promise<T>): Promise<T> {
  const emu = await startEmulator({ port: 0, taskStepMs: 0, rateLimits: 'off' });
  const h = harness(emu);
  try {
    return await fn(h);
  } finally {
    await h.close();
    await emu.close();
  }
}
