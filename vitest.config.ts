import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
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
    projects: [
      {
        extends: true,
        // Unit and fuzz files run one after another in a worker that keeps its modules: importing oclif, undici,
        // zod and fast-check again for each of ~60 files was half of their time (48 s → 24 s on two cores). They
        // hold no state between files; they pass in any file order (vitest --sequence.shuffle.files).
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/fuzz/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        // A fresh process per file: these start servers, change the process's environment and run commands in it.
        test: { name: 'e2e', include: ['test/build/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/reference-server/**/*.test.ts'] },
      },
    ],
  },
});
