import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { desiredStateJsonSchema, SCHEMA_ID } from './json-schema.js';
import { fileSchema } from './schema.js';

type Node = Record<string, unknown>;

/** Every `description` in a JSON Schema, keyed by its JSON pointer. */
function descriptions(node: unknown, at = '', out = new Map<string, string>()): Map<string, string> {
  if (!node || typeof node !== 'object') return out;
  for (const [k, v] of Object.entries(node as Node)) {
    if (k === 'description' && typeof v === 'string') out.set(at, v);
    else descriptions(v, `${at}/${k}`, out);
  }
  return out;
}

describe('the JSON Schema of the desired-state file', () => {
  const schema = desiredStateJsonSchema();
  const properties = schema.properties as Record<string, Node>;

  it('has a stable $id editors can map to the installed file', () => {
    expect(schema.$id).toBe(SCHEMA_ID);
    expect(Object.keys(schema).slice(0, 2)).toEqual(['$schema', '$id']);
  });

  it('keeps every description the zod schemas carry, unchanged', () => {
    const fromZod = descriptions(z.toJSONSchema(fileSchema(), { target: 'draft-7', unrepresentable: 'any', io: 'input' }));
    expect(fromZod.size).toBeGreaterThan(20);
    const ours = descriptions(schema);
    for (const [at, text] of fromZod) if (at !== '') expect(ours.get(at), at).toBe(text);
  });

  it('describes every top-level section and every policy key', () => {
    const undescribed = Object.entries(properties).filter(([, v]) => typeof v.description !== 'string' || !v.description).map(([k]) => k);
    expect(undescribed).toEqual([]);
    const policy = properties.policy!.properties as Record<string, Node>;
    expect(Object.keys(policy).length).toBeGreaterThanOrEqual(9);
    expect(Object.entries(policy).filter(([, v]) => !v.description).map(([k]) => k)).toEqual([]);
  });

  it("lifts a list section's item description to the section", () => {
    expect(properties.call_types!.description).toBe((properties.call_types!.items as Node).description);
  });
});
