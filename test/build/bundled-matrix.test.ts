import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMatrix, VALIDATED_BUNDLED_MATRIX } from '../../src/matrix/load.js';
import { getMatrixSchema } from '../../src/matrix/schema.js';
import { ROOT } from '../helpers/cli.js';

// Needs the build: scripts/compat-cache.js writes the stored validation. `npm test` builds first.
describe('the bundled matrix, as built', () => {
  it("the build's stored validation is the schema's parse of the file's exact text", () => {
    const text = readFileSync(join(ROOT, 'compat.json'), 'utf8');
    const stored = JSON.parse(readFileSync(join(ROOT, VALIDATED_BUNDLED_MATRIX), 'utf8')) as { text: string; doc: unknown };
    expect(stored.text).toBe(text);
    expect(stored.doc).toStrictEqual(getMatrixSchema().parse(JSON.parse(text)));
    expect(stored.doc).toStrictEqual(loadMatrix().doc);
  });
});
