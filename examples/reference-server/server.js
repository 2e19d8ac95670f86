#!/usr/bin/env node
// The reference server's command line. It runs the compiled TypeScript in dist/, so build first:
//   npm run build && node examples/reference-server/server.js serve --data /tmp/ref --port 0 --at 0003_add_insight_meta_cache
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// PGlite is Postgres compiled to WebAssembly. V8 compiles it for its optimizing tier as well as for Liftoff, its
// baseline compiler; a reference server (the demo's, the tests', one you try things on) never runs long enough for
// that to pay: Liftoff alone starts the database on ~60 % of the CPU (1.4 s instead of 2.2 s here). Set before
// anything compiles the module.
setFlagsFromString('--liftoff-only');

const entry = new URL('../../dist/examples/reference-server/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('reference-server: not built yet\n  fix: run npm run build in the handshake checkout\n');
  process.exit(2);
}
const { main } = await import(entry.href);

const stopSignal = () =>
  new Promise((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => resolve(signal));
  });

process.exitCode = await main(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  stopSignal,
});
