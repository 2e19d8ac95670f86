// The bundle is ASCII only, so bin/startup/code-cache.js can read it as latin1 into a one-byte string: a single
// non-ASCII character makes the whole 1.8 MB a two-byte string, decoded from UTF-8 in ≈ 6 ms instead of ≈ 1
// (bench/NOTES.md, step 10). esbuild escapes strings already; what it leaves are a few comments and a regular
// expression's character class, where `\uXXXX` (per UTF-16 unit, as a regular expression without the u flag needs)
// means the same. It would not in a tagged template's raw text: a line outside a comment that has both a backtick
// and such a character fails the build, to be looked at.
import { rewriteOutput } from './source-rewrite.js';

export default function asciiOnly() {
  return {
    name: 'ascii-only',
    setup(build) {
      build.onEnd((result) =>
        rewriteOutput(result, (text) => {
          for (const line of text.split('\n')) {
            if (!/[\u0080-\uffff]/.test(line) || !line.includes('`')) continue;
            const t = line.trim();
            if (t.startsWith('*') || t.startsWith('/*') || t.startsWith('//')) continue;
            throw new Error(`a non-ASCII character on a line with a template literal: ${t.slice(0, 120)}`);
          }
          return text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
        }),
      );
    },
  };
}
