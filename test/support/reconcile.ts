import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDesired } from '../../src/desired/load.js';
import { type Applied, applyPlan, checkDeleteGuard, type EngineDeps, type Planned, planFor } from '../../src/runtime/engine.js';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
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
  // Each request is held to the spec that documents its operation: chat's, moderation's, or video's (the common API).
  const specs = [loadSpec(), loadSpec('chat'), loadSpec('moderation')];
  const specOf = (op: string) => specs.find((s) => s?.has(op));
  const sent: ApiRequest[] = [];
  const violations: string[] = [];
  const api: Api = {
    send(req) {
      sent.push(req);
      const spec = specOf(req.op);
      if (!spec && specs.every(Boolean)) violations.push(`${req.op}: in none of the video, chat and moderation specs`);
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

/**
 * Runs `fn` against a fresh emulator on port 0 (by default no rate limits, tasks done at once) and a harness on it,
 * then closes both.
 */
export async function withApp<T>(fn: (h: Harness) => Promise<T>, options: Omit<EmulatorOptions, 'port'> = { taskStepMs: 0, rateLimits: 'off' }): Promise<T> {
  const emu = await startEmulator({ ...options, port: 0 });
  const h = harness(emu);
  try {
    return await fn(h);
  } finally {
    await h.close();
    await emu.close();
  }
}

/**
 * The convergence property of a kind's generated desired states: `before` applied, then `target` planned (its
 * deletes only in sections `policy.prune` names, never an address `builtin` matches), applied with no failed
 * change, and planned again to nothing. `sectionOf` maps a kind to its section.
 */
export async function expectConverges(before: { yaml: string }, target: { yaml: string; doc: Record<string, unknown> }, opts: { sectionOf: Record<string, string>; builtin?: RegExp }): Promise<void> {
  await withApp(async (h) => {
    await h.apply(before.yaml, { allowDeletes: 100 });
    const { plan } = await h.plan(target.yaml);
    const pruned = new Set((target.doc.policy as { prune?: string[] } | undefined)?.prune ?? []);
    for (const c of plan.document.changes.filter((c) => c.action === 'delete')) {
      if (!pruned.has(opts.sectionOf[c.kind]!)) throw new Error(`${c.address} deleted without its section in prune`);
      if (opts.builtin?.test(c.address)) throw new Error(`built-in ${c.address} deleted`);
    }
    const applied = await h.apply(target.yaml, { allowDeletes: 100 });
    if (applied.result.failed.length) throw new Error(`failed: ${JSON.stringify(applied.result.failed)}`);
    if (applied.notConverged.length) throw new Error(`not converged: ${JSON.stringify(applied.notConverged)}`);
    const again = (await h.plan(target.yaml)).plan.document.changes;
    if (again.length) throw new Error(`plan after apply is not empty: ${JSON.stringify(again)}`);
  });
}
