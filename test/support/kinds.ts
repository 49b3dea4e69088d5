import { expect } from 'vitest';
import type { z } from 'zod';
import type { ApiRequest } from '../../src/core/api.js';
import type { DesiredObject, LiveObject, Rec, SourceLocation, WriteOnlyMemory } from '../../src/core/model.js';
import type { KindSpec } from '../../src/kinds/types.js';
import { diffFields } from '../../src/plan/diff.js';
import { loadSpec } from './spec.js';

/** Fixture builders for a kind's unit tests: desired objects, the requests the real diff plans, spec checks. */

/** A state file that has never applied anything. */
export const noMemory: WriteOnlyMemory = { fingerprint: () => 'fp', applied: () => undefined };

/** A declared object of `kind`, addressed as the kind addresses it. */
export const declaredObject = (kind: KindSpec, fields: Rec, location?: SourceLocation): DesiredObject => ({ kind: kind.kind, address: kind.address(fields), fields, sensitive: [], ...(location ? { location } : {}) });

/**
 * The requests a kind plans for declared `fields` against a live object (`live` as the API answers it, read
 * through `toLive`), or for a create when there is none: through the real diff, as apply would send them.
 */
export function plannedRequests(kind: KindSpec, toLive: (raw: Rec) => LiveObject, fields: Rec, live?: Rec): ApiRequest[] {
  const want = declaredObject(kind, fields);
  const have = live ? toLive(live) : undefined;
  const changes = diffFields(want, have, { spec: kind, ignoredFields: [], memory: noMemory });
  if (have && changes.length === 0) return [];
  return kind.requests({ action: have ? 'update' : 'create', address: want.address, desired: want, live: have, fields: changes });
}

const specs = [loadSpec(), loadSpec('chat'), loadSpec('moderation')];
/** Every request body is valid for its operation in the official spec that has it (video, chat or moderation). */
export function expectValidRequests(reqs: readonly ApiRequest[]): void {
  for (const r of reqs) {
    const spec = specs.find((s) => s?.has(r.op));
    if (spec) expect(spec.validateRequest(r.op, r.body), `${r.op} body`).toEqual([]);
    else if (specs.every(Boolean)) expect.fail(`${r.op} is in none of the video, chat and moderation specs`);
  }
}

/** The schema refuses `value` with a message matching `message` (issues as `path: message` lines). */
export function expectRejected(schema: z.ZodType, value: unknown, message: RegExp | string): void {
  const res = schema.safeParse(value);
  expect(res.success).toBe(false);
  const text = res.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
  if (typeof message === 'string') expect(text).toContain(message);
  else expect(text).toMatch(message);
}
