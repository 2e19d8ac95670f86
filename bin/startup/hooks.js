// The hooks bin/run.js hands to the bundle, under global Symbol.for() names: the one list of those names, read by
// the build's rewrites (scripts/esbuild-plugins/) that make the bundle call them and by bin/run.js that sets them.
// Each rewrite falls back to what the dependency did before when its hook is not set (the bundle loaded without
// bin/run.js, as a test does).

/** The global Symbol.for() names, by hook. */
export const HOOKS = {
  /** undici's WebAssembly compile, `(compile) => llhttp instance` (scripts/esbuild-plugins/undici-wasm-tier.js). */
  compileWasm: 'handshake.compileWasm',
  /** oclif's command order, a comparator (scripts/esbuild-plugins/oclif-command-order.js). */
  commandOrder: 'handshake.commandOrder',
};

/** Sets the hook `name` (a key of HOOKS) to `value`. */
export function setHook(name, value) {
  globalThis[Symbol.for(HOOKS[name])] = value;
}

/** The source text that reads hook `name`, or `fallback` (source text) when it is not set: for the build's rewrites. */
export function hookExpression(name, fallback) {
  return `(globalThis[Symbol.for(${JSON.stringify(HOOKS[name])})] ?? ${fallback})`;
}

let liftoffOnly = false; // whether compileWasm has set --liftoff-only

/**
 * The compileWasm hook. undici compiles its WebAssembly llhttp on the first connection: V8 compiles it at once with
 * its baseline tier, then again with its optimizing tier on a background thread, and Node waits for that second
 * compile before it exits: ~70 ms at the end of every command that made a request, for a parser a CLI runs a
 * handful of times. So V8 gets `--liftoff-only` (the baseline tier alone) from that compile on, and not before:
 * while a flag differs from its default V8 rejects every code cache, Node's own for its built-in modules (each
 * then compiled from source, ≈ 15 ms over a check) and the bundle's. defaultV8Flags puts the flags back before the
 * bundle's code cache is written, so the next run, which loads the bundle before any flag is set, can use it. A
 * user who set a WebAssembly or Liftoff flag of their own gets V8's compile as they asked for it.
 */
export function compileWasm(compile) {
  const own = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (!liftoffOnly && !/wasm|liftoff/.test(own)) {
    process.getBuiltinModule('node:v8').setFlagsFromString('--liftoff-only');
    liftoffOnly = true;
  }
  return compile();
}

/** V8's flags as they were before compileWasm (--liftoff-only turns both tiers off by implication). */
export function defaultV8Flags() {
  if (!liftoffOnly) return;
  process.getBuiltinModule('node:v8').setFlagsFromString('--no-liftoff-only --wasm-tier-up --wasm-dynamic-tiering');
  liftoffOnly = false;
}
