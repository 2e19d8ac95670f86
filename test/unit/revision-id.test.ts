import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REVISION_PATTERN } from '../../src/matrix/schema.js';
import { isRevisionId } from '../../src/matrix/sync/types.js';

// One rule for a revision id (issue 23): the matrix's REVISION_PATTERN and compat sync's isRevisionId disagreed on
// a lone surrogate, so sync could write a chain the matrix then refused, or the other way round.
describe('the revision-id rule', () => {
  it('a lone surrogate is no revision id, for the matrix and for compat sync alike', () => {
    for (const id of ['a\uD800b', '\uDC00', 'x\uDBFF']) {
      expect(REVISION_PATTERN.test(id)).toBe(false);
      expect(isRevisionId(id)).toBe(false);
    }
    expect(isRevisionId('0003_add_events 😀')).toBe(true);
  });

  it('isRevisionId and REVISION_PATTERN agree on any text', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: 'grapheme-composite', maxLength: 20 }),
      fc.string({ unit: fc.constantFrom('a', ' ', '\t', '\u2028', '\u200e', '\uD800', '\uDC00', '😀', '\u0085'), maxLength: 8 }),
    );
    fc.assert(fc.property(text, (id) => isRevisionId(id) === REVISION_PATTERN.test(id)));
  });
});
