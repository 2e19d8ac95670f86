#!/usr/bin/env node
// npm run demo: the whole story against the reference server, in about fifteen seconds.
// The demo is examples/demo/demo.ts, compiled by the build; npm run demo builds first.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/examples/demo/demo.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('demo: not built yet\n  fix: npm run demo (it builds first), or npm run build\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main();
