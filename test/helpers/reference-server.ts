import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cli.js';

const LAUNCHER = join(ROOT, 'examples/reference-server/server.js');

export interface ReferenceServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts the built reference server (`server.js serve …`) as an operator would, and waits for its JSON line. */
export function startReferenceServer(args: string[]): Promise<ReferenceServer> {
  const child: ChildProcess = spawn(process.execPath, [LAUNCHER, 'serve', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`reference server did not start within 60 s:\n${err}`));
    }, 60_000);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`reference server exited before listening:\n${err}`));
    });
    child.stdout?.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const line = JSON.parse(out.slice(0, nl)) as { url: string; pid: number };
      resolve({
        ...line,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}
