import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/server.js';
import { TestApi } from '../support/api.js';
import { harness } from '../support/reconcile.js';
import { loadSpec } from '../support/spec.js';

/**
 * Numbered scenarios: `test/scenarios/NNN-name/` holds `desired.yaml`, `live.json` (API requests that seed the
 * emulator, each validated against the spec) and `expected-plan.json` (summary, changes and warnings of the
 * plan). `env.json` optionally sets variables for `${env:}`. `UPDATE_SCENARIOS=1` rewrites the expected plans
 * (review the diff before committing it).
 */
const here = dirname(fileURLToPath(import.meta.url));
const scenarios = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && /^\d{3}-/.test(d.name))
  .map((d) => d.name)
  .sort();

interface SeedRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

describe('scenarios: desired YAML + seeded live state → plan', () => {
  it('has scenarios', () => {
    expect(scenarios.length).toBeGreaterThan(10);
  });

  for (const name of scenarios) {
    it(name, async () => {
      const dir = join(here, name);
      const emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps: [{ key: 'scenario', secret: 'scenario-secret', name: 'acme-prod' }] });
      const h = harness(emu);
      try {
        // Each seed request is held to the spec that documents it: chat's, moderation's, or video's (the common API).
        const videoApi = new TestApi(emu, loadSpec());
        const chatApi = new TestApi(emu, loadSpec('chat'));
        const moderationApi = new TestApi(emu, loadSpec('moderation'));
        const apiFor = (path: string) => (path.startsWith('/api/v2/chat/') ? chatApi : path.startsWith('/api/v2/moderation/') ? moderationApi : videoApi);
        const api = { call: (req: SeedRequest) => apiFor(req.path).call(req) };
        const seed = existsSync(join(dir, 'live.json')) ? (JSON.parse(readFileSync(join(dir, 'live.json'), 'utf8')) as SeedRequest[]) : [];
        for (const req of seed) {
          const res = await api.call(req);
          expect(res.status, `seeding ${req.method} ${req.path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
        }
        const env = existsSync(join(dir, 'env.json')) ? (JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8')) as Record<string, string>) : {};
        const { plan } = await h.plan(readFileSync(join(dir, 'desired.yaml'), 'utf8'), { env });
        const actual = { summary: plan.document.summary, changes: plan.document.changes, warnings: plan.document.warnings };
        const expectedFile = join(dir, 'expected-plan.json');
        if (process.env.UPDATE_SCENARIOS === '1') writeFileSync(expectedFile, `${JSON.stringify(actual, null, 2)}\n`);
        expect(actual).toEqual(JSON.parse(readFileSync(expectedFile, 'utf8')));
        for (const v of Object.values(env)) expect(JSON.stringify(plan.document)).not.toContain(v);
      } finally {
        await h.close();
        await emu.close();
      }
    });
  }
});
