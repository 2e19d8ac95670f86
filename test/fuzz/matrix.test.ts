import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { HandshakeError, MatrixError } from '../../src/errors.js';
import { classifyResponse } from '../../src/handshake/observe.js';
import { type Matrix, parseMatrix } from '../../src/matrix/load.js';
import { formatMatrix } from '../../src/render/report.js';
import { createStyle } from '../../src/render/style.js';
import { buildReport } from '../../src/session/session.js';
import { planUpgrade } from '../../src/upgrade/plan.js';
import { computeVerdict, STATUSES } from '../../src/verdict/verdict.js';
import { rawControls } from '../helpers/hostile.js';
import { anyJson, cliContext, fuzzCases, fuzzParams, httpResponse, mutatedMatrix } from './arbitraries.js';

afterAll(() => {
  if (process.env.FUZZ_SCALE) console.log(`fuzz: ${fuzzCases()} cases in ${import.meta.url.split('/').pop()}`);
});

/**
 * Any JSON as a compat matrix: parseMatrix returns a Matrix or throws a
 * MatrixError naming the problem, never anything else. A matrix that passes
 * validation, however odd, never makes the verdict, the plan or `compat show`
 * throw.
 */

function parse(value: unknown): Matrix | null {
  try {
    return parseMatrix(value, 'fuzz');
  } catch (err) {
    expect(err).toBeInstanceOf(MatrixError);
    const e = err as MatrixError;
    expect(e.issues.length).toBeGreaterThan(0);
    for (const issue of e.issues) expect(typeof issue.message).toBe('string');
    return null;
  }
}

describe('fuzz: the compat matrix', () => {
  it('parseMatrix: any JSON gives a Matrix or a MatrixError', () => {
    fc.assert(
      fc.property(anyJson, (value) => {
        parse(value);
      }),
      fuzzParams(1000),
    );
  });

  it('parseMatrix: mutations of the bundled matrix give a Matrix or a MatrixError; valid ones never break the verdict, the plan or compat show', () => {
    fc.assert(
      fc.property(
        mutatedMatrix,
        httpResponse,
        cliContext,
        fc.option(fc.constantFrom('docker-compose', 'helm', 'nomad')),
        (value, res, cli, deployment) => {
          const matrix = parse(value);
          if (!matrix) return;
          expect(rawControls(formatMatrix(matrix, createStyle(false)))).toEqual([]);
          const observation = classifyResponse(res, matrix);
          const verdict = computeVerdict(matrix, observation, cli);
          expect(STATUSES).toContain(verdict.status);
          const report = buildReport({ matrix, cli }, new URL('https://ops.example.com/'), observation);
          try {
            planUpgrade({ matrix: matrix.doc, report, deployment, now: new Date(0) });
          } catch (err) {
            // Only a usage error (a bad --deployment) may come out of the plan.
            expect(err).toBeInstanceOf(HandshakeError);
            expect((err as HandshakeError).code).toBe('E_USAGE');
          }
        },
      ),
      fuzzParams(600),
    );
  });
});
