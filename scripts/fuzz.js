#!/usr/bin/env node
// npm run fuzz: the fast-check properties of test/fuzz, each with FUZZ_SCALE (default 40) times the cases it
// runs inside npm test: well over 100,000 generated cases in all, a few minutes on two cores.
// FUZZ_SEED=<n> replays the seed a failure printed.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const env = { ...process.env, FUZZ_SCALE: process.env.FUZZ_SCALE ?? '40' };
const started = Date.now();
const r = spawnSync(process.execPath, [vitest, 'run', 'test/fuzz', '--testTimeout=900000', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env,
});
console.log(`fuzz: FUZZ_SCALE=${env.FUZZ_SCALE}, ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(r.status ?? 1);
