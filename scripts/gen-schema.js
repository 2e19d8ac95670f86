// Writes compat.schema.json from the zod schema, the one source of truth. Run by `npm run build`;
// test/unit/schema-file.test.ts fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { matrixJsonSchema } from '../dist/src/matrix/json-schema.js';

writeFileSync(new URL('../compat.schema.json', import.meta.url), `${JSON.stringify(matrixJsonSchema(), null, 2)}\n`);
