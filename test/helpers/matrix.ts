import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMatrix, type Matrix, parseMatrix } from '../../src/matrix/load.js';
import type { MatrixInput } from '../../src/matrix/schema.js';
import { ROOT } from './cli.js';

/** The bundled compat.json as raw JSON, for tests to mutate. */
export function bundledJson(): MatrixInput {
  return JSON.parse(readFileSync(join(ROOT, 'compat.json'), 'utf8')) as MatrixInput;
}

/**
 * A matrix from the bundled JSON with `patch` applied on top. A patch that replaces the chain drops the bundled
 * `features` (they name the bundled chain's revisions), unless it gives its own.
 */
export function matrixWith(patch: Partial<MatrixInput> = {}): Matrix {
  const { features, ...bundled } = bundledJson();
  return parseMatrix({ ...bundled, ...(patch.schema_chain ? {} : { features }), ...patch }, 'test');
}

export { createMatrix };
