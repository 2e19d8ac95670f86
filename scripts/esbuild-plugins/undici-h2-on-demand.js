// undici's client requires its HTTP/2 half at its top, which loads node:http2 (and node:tls with it), ≈ 7 ms of
// every command's startup; it runs only for a connection that negotiated h2 (an agent with allowH2). This requires
// it on the first such connection (bench/NOTES.md, step 8).
import { dependencyFile, sourceRewrite } from './source-rewrite.js';

export default function undiciH2OnDemand() {
  return sourceRewrite('undici-h2-on-demand', [
    {
      file: dependencyFile('undici', 'lib/dispatcher/client.js'),
      from: "const connectH2 = require('./client-h2.js')",
      to: "let connectH2Loaded\nconst connectH2 = (...args) => (connectH2Loaded ??= require('./client-h2.js'))(...args)",
    },
  ]);
}
