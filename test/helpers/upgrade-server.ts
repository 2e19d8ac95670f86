import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll } from 'vitest';
import { json } from './http-server.js';

/**
 * A loopback server that goes through the states of an upgrade, one step
 * after another, counted in requests (deterministic, whatever the poll
 * interval): the old version, a restart window in which the port refuses
 * connections (the listener is closed and re-opened on the same port) or a
 * proxy answers 502/503, then the new version.
 */
export type Step =
  /** Answer this version document `times` times (default: for ever). */
  | { doc: Record<string, unknown>; times?: number; headers?: Record<string, string> }
  /** Answer this HTTP status `times` times (default: for ever). */
  | { status: number; times?: number; headers?: Record<string, string> }
  /** Close the listener (connections are refused) for this many ms, then re-listen on the same port. */
  | { down: number };

export interface ScenarioServer {
  url: string;
  port: number;
  /** Every request answered, with the step it was answered from and when (ms since start). */
  requests: Array<{ url: string; step: number; at: number }>;
  /** How many times a client found the port closed is not observable here; this counts the closures. */
  downs: number;
  close(): Promise<void>;
}

export async function scenarioServer(steps: Step[]): Promise<ScenarioServer> {
  const started = performance.now();
  const sockets = new Set<Socket>();
  let index = 0;
  let used = 0;
  let closed = false;
  let downTimer: NodeJS.Timeout | undefined;
  const state: ScenarioServer = {
    url: '',
    port: 0,
    requests: [],
    downs: 0,
    close: async () => {
      closed = true;
      clearTimeout(downTimer);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    },
  };

  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  const advance = () => {
    index += 1;
    used = 0;
    const step = steps[index];
    if (step && 'down' in step) {
      state.downs += 1;
      // Stop accepting, and drop kept-alive connections, so the client really sees "refused".
      server.close();
      for (const s of sockets) s.destroy();
      downTimer = setTimeout(() => {
        if (closed) return;
        void listen(state.port).then(advance);
      }, step.down);
    }
  };

  const server: Server = createServer((req, res) => {
    const step = steps[index];
    state.requests.push({ url: req.url ?? '', step: index, at: performance.now() - started });
    if (!step || 'down' in step) {
      res.destroy();
      return;
    }
    if ('doc' in step) json(res, 200, step.doc, step.headers);
    else json(res, step.status, { error: `HTTP ${step.status}` }, step.headers);
    used += 1;
    // Move on once this answer is out (a closing listener must not cut it off).
    if (step.times !== undefined && used >= step.times) res.once('close', advance);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await listen(0);
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  // A scenario may start down.
  if (steps[0] && 'down' in steps[0]) {
    index = -1;
    advance();
  }
  return state;
}

/** `scenario(steps)` for a test file: each server it starts is closed after all of the file's tests. */
export function scenarios(): (steps: Step[]) => Promise<ScenarioServer> {
  const servers: ScenarioServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  return async (steps) => {
    const s = await scenarioServer(steps);
    servers.push(s);
    return s;
  };
}

/** Is tmux installed (the terminal tests run only where it is)? */
export function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
