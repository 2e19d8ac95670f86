import { HandshakeError } from '../../src/errors.js';

/**
 * The error `f` throws, of class `type` (default HandshakeError): anything else it throws is rethrown, and not
 * throwing fails the test.
 */
export function thrown<E extends Error = HandshakeError>(
  f: () => unknown,
  type: abstract new (...args: never[]) => E = HandshakeError as unknown as abstract new (
    ...args: never[]
  ) => E,
): E {
  try {
    f();
  } catch (err) {
    if (err instanceof type) return err;
    throw err;
  }
  throw new Error('no error thrown');
}
