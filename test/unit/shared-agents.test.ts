import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/session/session.js';
import { closeDefaultDispatcher, defaultDispatcher } from '../../src/transport/request.js';
import { sandbox } from '../helpers/cli.js';

/**
 * The shared undici agents (src/transport/request.ts's defaultDispatcher) are kept per environment object,
 * weakly: sessions given the same `env` share one, a changed proxy variable replaces (and closes) it, and an
 * `env` the caller dropped keeps none alive (docs/architecture.md "One IO").
 */
const box = sandbox();
afterAll(async () => {
  await closeDefaultDispatcher();
  box.cleanup();
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('the shared agents', () => {
  it('two sessions made with the same env share one agent; another env object gets its own', () => {
    const env = { ...box.env };
    const a = createSession({ server: 'http://127.0.0.1:9', cliVersion: '0.9.0', env });
    const b = createSession({ server: 'http://127.0.0.1:9', cliVersion: '0.9.0', env });
    expect(defaultDispatcher(a.timeoutMs, a.env)).toBe(defaultDispatcher(b.timeoutMs, b.env));
    expect(defaultDispatcher(a.timeoutMs, { ...env })).not.toBe(defaultDispatcher(a.timeoutMs, env));
  });

  it('a proxy variable changed in the same env: a new agent, and the one it replaces is closed', () => {
    const env: NodeJS.ProcessEnv = { ...box.env, HTTP_PROXY: 'http://127.0.0.1:3128' };
    const before = defaultDispatcher(1000, env);
    env.HTTP_PROXY = 'http://127.0.0.1:3129';
    const after = defaultDispatcher(1000, env);
    expect(after).not.toBe(before);
    expect((before as unknown as { closed: boolean }).closed).toBe(true);
    expect((after as unknown as { closed: boolean }).closed).toBe(false);
    expect(defaultDispatcher(1000, env)).toBe(after);
  });

  it('an env the caller no longer holds is not kept alive by its agent', async () => {
    const refs = (() => {
      const env = { ...box.env };
      defaultDispatcher(1000, env);
      return new WeakRef(env);
    })();
    // A few rounds: a collection may leave a young object for the next one.
    for (let i = 0; i < 10 && refs.deref() !== undefined; i++) {
      await new Promise((r) => setImmediate(r));
      gc();
    }
    expect(refs.deref()).toBeUndefined();
  });
});
