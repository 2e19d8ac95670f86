import { describe, expect, it } from 'vitest';
import { createSecretRedactor, PARTIAL_LENGTH, partialLength, REDACTED, secretVariants, urlCredentialSecrets } from '../../src/redact.js';

describe('secret redaction', () => {
  it('replaces every occurrence of every secret, the longest first', () => {
    const r = createSecretRedactor(['tok-abcdef', 'tok-abcdef-longer', null, undefined, '']);
    expect(r.text('a tok-abcdef-longer b tok-abcdef c')).toBe(`a ${REDACTED} b ${REDACTED} c`);
  });

  it('ignores secrets too short to search for without garbling the output', () => {
    expect(createSecretRedactor(['ab']).text('tab cab')).toBe('tab cab');
  });

  it('matches a secret percent-encoded and percent-decoded', () => {
    expect(secretVariants('p@ss word')).toEqual(expect.arrayContaining(['p@ss word', 'p%40ss%20word']));
    const r = createSecretRedactor(['p%40ss-word']);
    expect(r.text('p@ss-word and p%40ss-word')).toBe(`${REDACTED} and ${REDACTED}`);
  });

  it('knows the password and the Basic credentials of a URL', () => {
    const secrets = urlCredentialSecrets('http://bob:s3cr%2Ft@proxy.example:3128');
    expect(secrets).toContain('s3cr%2Ft');
    expect(secrets).toContain('s3cr/t');
    expect(secrets).toContain(Buffer.from('bob:s3cr/t').toString('base64'));
    expect(urlCredentialSecrets('http://proxy.example:3128')).toEqual([]);
    expect(urlCredentialSecrets(undefined)).toEqual([]);
    // Not a URL at all: still finds what sits between "user:" and "@".
    expect(urlCredentialSecrets('http://bob:s3cret-x@host:99999')).toEqual(expect.arrayContaining(['s3cret-x']));
  });

  it('a cut-off preview keeps less than half of any secret, short ones included (docs/security.md)', () => {
    for (const secret of ['hunter2xy', 's3cr%t@pw', 'tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0', 'abcd']) {
      const r = createSecretRedactor([secret]);
      // The secret's prefix of every length, where a preview was cut: more than half of it never survives (of a
      // secret of 4 or 5 characters, the shortest redacted, not 3 characters are kept).
      expect(partialLength(secret.length)).toBeLessThanOrEqual(Math.max(3, Math.ceil(secret.length / 2)));
      for (let keep = partialLength(secret.length); keep < secret.length; keep++) {
        const cut = `answered invalid JSON: "pad ${secret.slice(0, keep)}…"`;
        expect(r.text(cut), `${secret} cut after ${keep}`).not.toContain(secret.slice(0, keep));
      }
    }
    expect(partialLength(100)).toBe(PARTIAL_LENGTH);
    // Ordinary text that shares fewer characters in a row than the window stays as it is.
    expect(createSecretRedactor(['hunter2xy']).text('the hunt is on')).toBe('the hunt is on');
  });

  it('a preview cut inside a secret keeps no part of it, however short the piece (docs/security.md: no part of a secret)', () => {
    for (const secret of ['tokABCDEFGHIJKLMNOP', 'hunter2xy', 's3cr%t@pw']) {
      const r = createSecretRedactor([secret]);
      for (let keep = 1; keep < secret.length; keep++) {
        const before = r.text(`answered invalid JSON: "invalid token ${secret.slice(0, keep)}…"`);
        expect(before, `${secret} cut after ${keep}`).toBe(`answered invalid JSON: "invalid token ${REDACTED}…"`);
        const after = r.text(`…${secret.slice(keep)} was refused`);
        expect(after, `${secret} resumed at ${keep}`).toBe(`…${REDACTED} was refused`);
      }
    }
    // Away from a cut, text is left alone; beside one, only what could begin the secret goes.
    const r = createSecretRedactor(['tokABCDEFGHIJKLMNOP']);
    expect(r.text('the total is 12… tok')).toBe('the total is 12… tok');
    expect(r.text('preview: xyz…')).toBe('preview: xyz…');
  });

  it('redacts every string of a JSON document, keys and structure kept', () => {
    const r = createSecretRedactor(['tok-abcdef']);
    const doc = JSON.parse('{"a":"x tok-abcdef","b":[1,"tok-abcdef",null,true],"__proto__":{"c":"tok-abcdef"}}');
    const out = r.value(doc) as Record<string, unknown>;
    expect(JSON.stringify(out)).toBe(JSON.stringify({ a: `x ${REDACTED}`, b: [1, REDACTED, null, true], ['__proto__']: { c: REDACTED } }));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});
