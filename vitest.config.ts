import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/unit needs no build (`npm run test:unit`); test/build and test/e2e read or spawn the build, and
    // `npm test` builds first.
    // Generous bounds, never timed assertions: a spawned CLI on a loaded 2-core machine takes its time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The workers open PGlite databases in process (the reference server's lifecycle and admin tests, the revision
    // readers): V8's Liftoff alone compiles its WebAssembly on ~60 % of the CPU, as the reference server's launcher
    // does (examples/reference-server/server.js). The suite is CPU-bound on two cores: 205 s of CPU became 149 s for
    // the reference server's tests.
    execArgv: ['--liftoff-only'],
    // vitest's default is one worker fewer than the cores: one on a 2-core machine, where the suite's files,
    // mostly waiting on spawned CLIs and loopback servers, then run one after another. Two at once took three
    // end-to-end files from 147 s to 103 s on a loaded 2-core machine.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
