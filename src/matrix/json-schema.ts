import * as z from 'zod';
import { getMatrixSchema } from './schema.js';

/** The JSON Schema of `compat.json` as users write it (defaults optional), for editors and CI. */
export function matrixJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(getMatrixSchema(), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'handshake compat matrix',
    description: 'The compat matrix a CLI ships: which servers and schema revisions it works with, and how to upgrade either side.',
    ...schema,
  };
}
