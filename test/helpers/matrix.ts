import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envPrefixFor } from '../../src/env.js';
import type { Observation } from '../../src/handshake/observe.js';
import { createMatrix, type Matrix, parseMatrix } from '../../src/matrix/load.js';
import type { MatrixInput } from '../../src/matrix/schema.js';
import { remedyFor } from '../../src/render/remedy.js';
import { type CliContext, computeVerdict } from '../../src/verdict/verdict.js';
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

/**
 * The verdict with its remedy said as `compat check` says it for the matrix's own CLI (its bin, its prefix):
 * the judge gives a hint, `src/render/` says it.
 */
export function saidVerdict(matrix: Matrix, observation: Observation, cli: CliContext) {
  const v = computeVerdict(matrix, observation, cli);
  const bin = matrix.doc.cli.bin;
  return { ...v, remedy: remedyFor(v, { bin, envPrefix: cli.envPrefix ?? envPrefixFor(bin) }) };
}
