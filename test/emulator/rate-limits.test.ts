import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { sdkClient } from '../support/sdk.js';
import { SPEC_REQUIRED } from '../support/spec.js';

/** The three server-side specs, read as oracles from ../shared (never copied into the repository). */
const SPEC_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/stream-openapi');
const SPECS = ['video-serverside-api.json', 'chat-serverside-api.json', 'moderation-serverside-api.json'].map((f) => resolve(SPEC_DIR, f));
const present = SPECS.every((f) => existsSync(f));
if (!present && SPEC_REQUIRED) throw new Error(`REQUIRE_STREAM_OPENAPI=1 but the OpenAPI specs are missing in ${SPEC_DIR}`);

function operationIds(): string[] {
  const ids = new Set<string>();
  for (const file of SPECS) {
    const spec = JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>> };
    for (const item of Object.values(spec.paths)) for (const op of Object.values(item)) if (op && typeof op === 'object' && op.operationId) ids.add(op.operationId);
  }
  return [...ids];
}

describe.skipIf(!present)('GetRateLimits covers every endpoint of the official server-side specs', () => {
  const env = useEmulator();

  it('answers a limit for every operationId of the video, chat and moderation specs', async () => {
    const ids = operationIds();
    expect(ids.length).toBeGreaterThan(300);
    const client = sdkClient(env.emu);
    const missing: string[] = [];
    // Batches keep the query string well under the header size limit.
    for (let i = 0; i < ids.length; i += 40) {
      const batch = ids.slice(i, i + 40);
      const res = await client.getRateLimits({ server_side: true, endpoints: batch.join(',') });
      for (const op of batch) {
        const limit = res.server_side?.[op];
        if (!limit || !(limit.limit > 0) || limit.remaining > limit.limit) missing.push(op);
      }
    }
    expect(missing).toEqual([]);
  });
});
