// Writes compat.schema.json and version-document.schema.json from their zod schemas, the one source of truth
// for each. Run by `npm run build`; test/unit/matrix.test.ts and test/unit/version-document-schema.test.ts fail
// when a committed file is stale.
import { writeFileSync } from 'node:fs';
import { matrixJsonSchema } from '../dist/src/matrix/json-schema.js';
import { versionDocumentJsonSchema } from '../dist/src/protocol/json-schema.js';

const write = (file, schema) => writeFileSync(new URL(`../${file}`, import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
write('compat.schema.json', matrixJsonSchema());
write('version-document.schema.json', versionDocumentJsonSchema());
