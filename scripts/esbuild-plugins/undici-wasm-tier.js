// undici compiles its WebAssembly llhttp on the first connection, and V8's optimizing tier then recompiles it on a
// background thread that Node waits for at exit (≈ 70 ms). bin/run.js lets V8 use only its baseline tier from that
// compile on, which it can do only around the compile: undici calls the compileWasm hook (bin/startup/hooks.js)
// with its compile, or compiles as before when no hook is set (bench/NOTES.md, steps 5 and 18).
import { hookExpression } from '../../bin/startup/hooks.js';
import { dependencyFile, sourceRewrite } from './source-rewrite.js';

export default function undiciWasmTier() {
  return sourceRewrite('undici-wasm-tier', [
    {
      file: dependencyFile('undici', 'lib/dispatcher/client-h1.js'),
      from: '    llhttpInstance = lazyllhttp()\n',
      to: `    llhttpInstance = ${hookExpression('compileWasm', '((compile) => compile())')}(lazyllhttp)\n`,
    },
  ]);
}
