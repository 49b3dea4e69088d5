import { z } from 'zod';
import { fileSchema } from './schema.js';

/** The JSON Schema of the desired-state file, generated from the same zod schema as the validator. */
export function desiredStateJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(fileSchema(), { target: 'draft-7', unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  return {
    ...schema,
    title: 'stream-sync desired state',
    description: "A Stream app's configuration, kept in Git and applied by stream-sync. Field names are the Stream API's own.",
  };
}

export const renderJsonSchema = () => `${JSON.stringify(desiredStateJsonSchema(), null, 2)}\n`;
