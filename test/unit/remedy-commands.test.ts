import { describe, expect, it } from 'vitest';
import type { UpgradeProgress } from '../../commands/_lib/upgrade-progress.js';
import { upgradeHooks } from '../../commands/_lib/upgrade-run.js';
import { isHandshakeError } from '../../src/errors.js';
import { classifyResponse } from '../../src/handshake/observe.js';
import type { RemedyContext } from '../../src/hint.js';
import { remedyFor } from '../../src/render/remedy.js';
import { createStyle } from '../../src/render/style.js';
import { createSession, requireServer } from '../../src/session/session.js';
import type { UpgradePlan } from '../../src/upgrade/plan.js';
import { parseTarget } from '../../src/upgrade/plan.js';
import { computeVerdict } from '../../src/verdict/verdict.js';
import { sandbox } from '../helpers/cli.js';
import { matrixWith } from '../helpers/matrix.js';
import { thrown } from '../helpers/thrown.js';

// Issue 28 items 7 and 10: every remedy is a command to paste, in the host's words, naming the server checked.
const matrix = matrixWith();
const PROD: RemedyContext = { bin: 'handshake', envPrefix: 'HANDSHAKE', server: { kind: 'name', name: 'prod' } };
const box = sandbox();

describe('remedies are commands (issue 28)', () => {
  it('server upgrade without --yes and no terminal: the same command line with --yes, for the checked server', async () => {
    const hooks = upgradeHooks({
      progress: {} as UpgradeProgress,
      yes: false,
      json: false,
      out: () => {},
      style: createStyle(false),
      flags: { to: '1.4.2', deployment: 'docker-compose', interval: 2000, wait: 900_000 },
    });
    const tty = [process.stdin.isTTY, process.stderr.isTTY];
    process.stdin.isTTY = false;
    let err: unknown;
    try {
      await hooks.confirm({} as UpgradePlan);
    } catch (e) {
      err = e;
    } finally {
      process.stdin.isTTY = tty[0] as boolean;
    }
    if (!isHandshakeError(err)) throw new Error('confirm did not throw a HandshakeError');
    expect(remedyFor(err, PROD)).toBe('handshake server upgrade --server prod --to 1.4.2 --deployment docker-compose --wait 900 --yes');
  });

  it.each(['1.9.9', '2.0.0', 'banana'])('--to %s outside the window: the upgrade to the recommended version', (to) => {
    const err = thrown(() => parseTarget(matrix.doc, to));
    expect(remedyFor(err, PROD)).toBe(`handshake server upgrade --server prod --to ${matrix.doc.recommended_server_version}`);
  });

  it('not_found: the command that upgrades the checked server', () => {
    const v = computeVerdict(matrix, { kind: 'not_found', httpStatus: 404 }, { version: '0.9.0', installMethod: 'npm' });
    expect(v.status).toBe('not_found');
    expect(remedyFor(v, PROD)).toBe('handshake server upgrade --server prod');
  });

  it("a 502's fix names the server with its URL's path prefix", () => {
    const url = `https://h.example/observal${matrix.doc.version_endpoint}`;
    const o = classifyResponse({ status: 502, headers: { 'content-type': 'text/html' }, body: Buffer.from('<h1>502</h1>'), url }, matrix);
    expect(o.kind).toBe('unreachable');
    const fix = remedyFor(computeVerdict(matrix, o, { version: '0.9.0', installMethod: 'npm' }), PROD);
    expect(fix).toContain('the server at https://h.example/observal');
    expect(fix).not.toContain(matrix.doc.version_endpoint);
  });

  it('an SDK caller is told the option to pass, never a CLI flag', () => {
    const session = createSession({ cliVersion: '0.9.0', env: box.env });
    const err = thrown(() => requireServer(session));
    const fix = remedyFor(err);
    expect(fix).not.toContain('--server');
    expect(fix).toContain('{ server: "https://your-server.example.com" }');
    expect(fix).toContain('HANDSHAKE_SERVER');
    // A command keeps the host's flags.
    expect(remedyFor(err, PROD)).toContain('--server https://your-server.example.com');
  });
});
