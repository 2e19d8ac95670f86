import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addServer } from '../../src/config/config.js';
import { runDoctor } from '../../src/doctor/index.js';
import type { RemedyContext } from '../../src/hint.js';
import { loadMatrix, matrixName } from '../../src/matrix/load.js';
import { doctorDocument, formatDoctor } from '../../src/render/doctor.js';
import { errorMessage, OWN_WORDS, remedyFor, SDK_WORDS, sourceText } from '../../src/render/remedy.js';
import { errorDocument, formatError } from '../../src/render/report.js';
import { createStyle } from '../../src/render/style.js';
import { planNotes } from '../../src/render/upgrade.js';
import { assertKnownFeatures } from '../../src/session/feature-gate.js';
import { resolveRun } from '../../src/session/resolve.js';
import { chooseDeployment, parseDeploymentFlag } from '../../src/upgrade/deployment.js';
import { parseTarget } from '../../src/upgrade/plan.js';
import { ROOT } from '../helpers/cli.js';
import { matrixWith } from '../helpers/matrix.js';
import { thrown } from '../helpers/thrown.js';

/**
 * Issue 23 item 1: no flag and no bin name below `render/`. What a run was given, and where a value came from, are
 * data until `render/` says them: `--to` and `--server` on handshake's command line, a vendor's own spelling and
 * prefix in its CLI, `{ to: … }` and `{ server }` to an SDK caller. The CLI's own words are the ones it always said.
 */
const matrix = matrixWith();
const doc = matrix.doc;
const ACME: RemedyContext = { bin: 'acme', envPrefix: 'ACME', flags: { to: '--target', deployment: '--kind' } };
const BUNDLED_FILE = join(ROOT, 'compat.json');
const dir = mkdtempSync(join(tmpdir(), 'handshake-words-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an error naming what the caller passed', () => {
  it('--to that is not a version: the CLI says the flag as it always did, an SDK caller the option, a vendor its own flag', () => {
    const err = thrown(() => parseTarget(doc, 'banana'));
    const cli = `--to "banana" is not a semver version such as ${doc.recommended_server_version}`;
    expect(errorDocument(err, OWN_WORDS).error.message).toBe(cli);
    expect(formatError(err, createStyle(false), OWN_WORDS)).toContain(`Error: ${cli}\n`);
    expect(err.message).toBe(`{ to: "banana" } is not a semver version such as ${doc.recommended_server_version}`);
    expect(errorMessage(err, SDK_WORDS)).toBe(err.message);
    expect(errorMessage(err, ACME)).toBe(`--target "banana" is not a semver version such as ${doc.recommended_server_version}`);
  });

  it('--to outside the window names the version unquoted, as before', () => {
    const err = thrown(() => parseTarget(doc, '9.9.9'));
    expect(errorMessage(err)).toMatch(/^--to 9\.9\.9 is newer than this CLI \(/);
    expect(err.message).toMatch(/^\{ to: "9\.9\.9" \} is newer than this CLI/);
  });

  it('--deployment with shell syntax', () => {
    const err = thrown(() => parseDeploymentFlag(doc, 'helm;id'));
    expect(errorMessage(err, OWN_WORDS)).toBe('--deployment "helm;id" is not a deployment kind (a short lower-case word)');
    expect(errorMessage(err, ACME)).toBe('--kind "helm;id" is not a deployment kind (a short lower-case word)');
    expect(err.message).toBe('{ deployment: "helm;id" } is not a deployment kind (a short lower-case word)');
  });

  it('a value with $ patterns is said as typed, never read as a replacement pattern', () => {
    const err = thrown(() => parseDeploymentFlag(doc, "$&$'x"));
    expect(errorMessage(err, OWN_WORDS)).toBe(`--deployment "$&$'x" is not a deployment kind (a short lower-case word)`);
    expect(err.message).toBe(`{ deployment: "$&$'x" } is not a deployment kind (a short lower-case word)`);
  });

  it('a plan note naming --deployment is data: the CLI and a vendor each say their own flag', () => {
    const kinds = Object.keys(doc.server.deployments).join('|');
    const none = chooseDeployment(doc, null, undefined);
    expect(planNotes(none, OWN_WORDS)).toEqual([
      `the server reports no usable deployment kind, so these are the generic steps; pass --deployment ${kinds} for specific ones`,
    ]);
    expect(planNotes(none, ACME).join('\n')).toContain(`pass --kind ${kinds} for specific ones`);
    expect(planNotes(chooseDeployment(doc, 'helm', 'deb'), OWN_WORDS)).toEqual(['--deployment deb overrides the server\'s "helm"']);
  });
});

describe('config remedies are commands of the host', () => {
  it('a name already configured: the command with --force, in the host bin', () => {
    const one = addServer({ servers: {} }, 'prod', 'https://a.example', 'tok', false);
    const err = thrown(() => addServer(one, 'prod', 'https://b.example', undefined, false));
    expect(remedyFor(err, OWN_WORDS)).toBe('Replace it: handshake server add prod https://b.example --force, or choose another name');
    expect(remedyFor(err, { bin: 'acme', envPrefix: 'ACME' })).toBe(
      'Replace it: acme server add prod https://b.example --force, or choose another name',
    );
    const creds = thrown(() => addServer(one, 'x', 'https://u:p@a.example', undefined, false));
    expect(remedyFor(creds, OWN_WORDS)).toBe('Add the server without user:password@ and give its token on stdin with --with-token');
  });
});

describe('where a value came from is data', () => {
  it('the matrix and the server: a flag, a variable, the config file, the bundled one', () => {
    const env = { XDG_CONFIG_HOME: join(dir, 'config') };
    const flagged = resolveRun({ cliVersion: doc.cli_version, compatFile: BUNDLED_FILE, server: 'https://a.example', env });
    expect(flagged.matrix.origin).toEqual({ kind: 'flag', flag: 'compat' });
    expect(flagged.server).toMatchObject({ kind: 'ok', source: { kind: 'flag', flag: 'server' } });
    const variables = resolveRun({
      cliVersion: doc.cli_version,
      envPrefix: 'ACME',
      env: { ...env, ACME_COMPAT_FILE: BUNDLED_FILE, ACME_SERVER: 'https://a.example' },
    });
    expect(variables.matrix.origin).toEqual({ kind: 'variable', name: 'COMPAT_FILE' });
    expect(variables.server).toMatchObject({ kind: 'ok', source: { kind: 'variable', name: 'SERVER' } });
    expect(resolveRun({ cliVersion: doc.cli_version, env }).matrix.origin).toEqual({ kind: 'bundled' });

    expect(sourceText({ kind: 'flag', flag: 'server' }, OWN_WORDS)).toBe('--server');
    expect(sourceText({ kind: 'flag', flag: 'compat' }, SDK_WORDS)).toBe('{ compatFile }');
    expect(sourceText({ kind: 'variable', name: 'SERVER' }, { bin: 'acme', envPrefix: 'ACME' })).toBe('ACME_SERVER');
    expect(sourceText({ kind: 'config' }, OWN_WORDS)).toBe("the config file's current server");
  });

  it("doctor says it in the host's words: (from --compat) for the CLI, the host's variable for a vendor", async () => {
    const env = { XDG_CONFIG_HOME: join(dir, 'config') };
    const flagged = await runDoctor({ cliVersion: doc.cli_version, compatFile: BUNDLED_FILE, env, network: false });
    const check = (r: typeof flagged, id: string) =>
      doctorDocument(r)
        .sections.flatMap((s) => s.checks)
        .find((c) => c.id === id);
    expect(check(flagged, 'cli.matrix')?.detail).toBe(
      `${BUNDLED_FILE} (from --compat), valid: servers ${doc.supported_server_range}, schema ${doc.min_schema_revision} or later`,
    );
    expect(check(flagged, 'server.reachable')?.detail).toBe('not checked: network checks are off (--no-network)');
    expect(formatDoctor(flagged, createStyle(false))).toContain(`${BUNDLED_FILE} (from --compat)`);

    const vendor = await runDoctor({
      cliVersion: doc.cli_version,
      bin: 'acme',
      envPrefix: 'ACME',
      env: { ...env, ACME_COMPAT_FILE: BUNDLED_FILE, ACME_SERVER: 'nope' },
    });
    expect(check(vendor, 'cli.matrix')?.detail).toContain(`${BUNDLED_FILE} (from ACME_COMPAT_FILE)`);
    expect(check(vendor, 'server.reachable')?.detail).toMatch(/^no server named "nope".*; server from ACME_SERVER$/);
  });

  it('the bundled matrix is "the bundled compat matrix", not "the compat matrix bundled"', () => {
    const bundled = loadMatrix();
    expect(matrixName(bundled)).toBe('the bundled compat matrix');
    expect(matrixName(loadMatrix(BUNDLED_FILE))).toBe(`the compat matrix ${BUNDLED_FILE}`);
    const err = thrown(() => assertKnownFeatures({ matrix: bundled }, { features: ['nope'], command: null }));
    expect(err.message).toContain('which the bundled compat matrix does not declare');
  });

  it('a feature name the user typed is refused by the same rule, said as the flag that took it or as the option', () => {
    const bundled = loadMatrix();
    const err = thrown(() => assertKnownFeatures({ matrix: bundled }, { features: ['nope'], command: null }, { flag: 'feature' }));
    expect(err.message).toBe('{ feature: "nope" }: the bundled compat matrix declares no such feature (it declares retention)');
    expect(errorMessage(err, OWN_WORDS)).toBe('--feature nope: the bundled compat matrix declares no such feature (it declares retention)');
    expect(remedyFor(err, { ...OWN_WORDS, server: { kind: 'url', url: 'https://ops.example' } })).toBe(
      'handshake compat check --server https://ops.example --feature retention',
    );
    // A vendor that spells the flag its own way.
    expect(errorMessage(err, { bin: 'acme', envPrefix: 'ACME', flags: { feature: '--capability' } })).toMatch(/^--capability nope: /);
  });
});

describe('an SDK caller says the words that are data through the package entry (docs/embedding.md "Words that are data")', () => {
  it('plan notes, doctor details and facts, and where a value came from: words, never [object Object]', async () => {
    const sdk = await import('../../src/index.js');
    const decision = sdk.planUpgrade({
      matrix: doc,
      report: {
        status: 'schema_behind',
        message: 'm',
        hint: null,
        server: { url: 'http://127.0.0.1:9', version: '1.3.0', schema_revision: '0003_add_insight_meta_cache', min_cli_version: null },
        pending_migrations: [],
        deployment: null,
        migration_status: null,
      },
      now: new Date(Date.UTC(2026, 10, 21)),
    });
    if (decision.kind !== 'plan') throw new Error(`expected a plan, got ${decision.kind}`);
    // A note naming a flag is data: joined as it is, it says nothing.
    expect(decision.plan.notes.some((n) => typeof n !== 'string')).toBe(true);
    const notes = sdk.planNotes(decision.plan);
    expect(notes.join('\n')).not.toContain('[object Object]');
    expect(notes.join('\n')).toContain('pass { deployment:');
    expect(sdk.planNotes(decision.plan, sdk.OWN_WORDS).join('\n')).toContain('pass --deployment ');

    const env = { XDG_CONFIG_HOME: join(dir, 'config') };
    const session = sdk.createSession({ cliVersion: doc.cli_version, compatFile: BUNDLED_FILE, env });
    expect(sdk.sourceText(session.resolution.matrix.origin)).toBe('{ compatFile }');
    expect(sdk.sourceText(session.resolution.matrix.origin, sdk.OWN_WORDS)).toBe('--compat');

    const report = await sdk.runDoctor({ cliVersion: doc.cli_version, compatFile: BUNDLED_FILE, env, network: false });
    const checks = report.sections.flatMap((s) => s.checks);
    const matrixCheck = checks.find((c) => c.id === 'cli.matrix');
    expect(typeof matrixCheck?.detail).not.toBe('string');
    expect(sdk.saidText(matrixCheck?.detail ?? '')).toContain(`${BUNDLED_FILE} (from { compatFile })`);
    for (const c of checks) expect(sdk.saidText(c.detail)).not.toContain('[object Object]');
    for (const f of report.facts) expect(sdk.saidText(f.value)).not.toContain('[object Object]');
  });
});
