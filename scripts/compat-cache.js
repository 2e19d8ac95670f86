// Validates the bundled compat.json at build time and stores its exact text with parseMatrix's output
// (dist/compat.validated.json). loadMatrix() uses that output for the bundled file when its text is unchanged, so a
// run never builds the matrix schema for it; any other file, or a changed bundled one, is validated when loaded.
// test/unit/matrix.test.ts checks the stored output equals the schema's parse of the file.
import { deepStrictEqual } from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED, parseMatrix, VALIDATED_BUNDLED_MATRIX } from '../dist/src/matrix/load.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bytes = readFileSync(join(root, 'compat.json'));
const text = bytes.toString('utf8');
if (!Buffer.from(text, 'utf8').equals(bytes)) throw new Error('scripts/compat-cache.js: compat.json is not valid UTF-8');
const { doc } = parseMatrix(JSON.parse(text), BUNDLED); // throws, failing the build, when it is invalid
// The output must survive JSON unchanged (no undefined, no class instances), or the stored copy would differ.
deepStrictEqual(JSON.parse(JSON.stringify(doc)), doc);
writeFileSync(join(root, VALIDATED_BUNDLED_MATRIX), `${JSON.stringify({ text, doc })}\n`);
