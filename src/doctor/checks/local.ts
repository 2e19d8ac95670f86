import { existsSync, readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import semver from 'semver';
import { currentServer, namedServers } from '../../config/config.js';
import { envName } from '../../env.js';
import { isHandshakeError } from '../../errors.js';
import { hint } from '../../hint.js';
import { normalizeProxy, readRegularFile } from '../../input/index.js';
import { BUNDLED } from '../../matrix/load.js';
import { cliInstallCommand } from '../../matrix/templates.js';
import { packageRoot } from '../../package-root.js';
import { plural } from '../../text.js';
import { redactUrl } from '../../url.js';
import type { DoctorContext } from '../context.js';
import type { CheckOutcome, DoctorCheck, Words } from '../framework.js';
import { describeProxy, noProxyMatch, readProxySettings, routeFor } from '../proxy.js';
import { SECTION } from './sections.js';

/** The largest NODE_EXTRA_CA_CERTS read: a bundle of every public CA is about 250 KiB. */
const MAX_CA_FILE_BYTES = 16 * 1024 * 1024;

const pass = (detail: Words, facts?: Record<string, Words>): CheckOutcome => ({ status: 'pass', detail, facts });

/** The CLI itself: version and install method, Node, the matrix, the config file, the token. */
export function cliChecks(): DoctorCheck<DoctorContext>[] {
  return [
    {
      id: 'cli.version',
      title: 'Version',
      section: SECTION.cli,
      run(ctx) {
        const { version, installMethod } = ctx.cli;
        const checkout = !/[/\\]node_modules[/\\]/.test(ctx.installPath) && existsSync(join(ctx.installPath, '.git'));
        const upgrade = ctx.requestMatrix ? cliInstallCommand(ctx.requestMatrix.doc, installMethod, 'latest') : null;
        const detail = checkout
          ? `${version}, run from a source checkout at ${ctx.installPath}${upgrade ? `; an installed copy upgrades with: ${upgrade}` : ''}`
          : `${version}, installed with ${installMethod} at ${ctx.installPath}${upgrade ? `; upgrade: ${upgrade}` : ''}`;
        return pass(detail, {
          CLI: `${ctx.product} ${version} (${checkout ? 'source checkout' : installMethod})`,
        });
      },
    },
    {
      id: 'cli.node',
      title: 'Node.js',
      section: SECTION.cli,
      run() {
        // What this package itself needs (its own engines), also when a CLI that mounts it declares another range:
        // its code runs on the Node that runs the host (docs/embedding.md).
        const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { engines?: { node?: string } };
        return nodeVersionOutcome(process.versions.node, pkg.engines?.node ?? null);
      },
    },
    {
      id: 'cli.matrix',
      title: 'Compat matrix',
      section: SECTION.cli,
      run(ctx) {
        const m = ctx.matrix;
        if (!m.ok) return { status: 'fail', detail: m.error.message, remedy: m.error.remedy, hint: m.error.hint };
        // Where it came from is data (`--compat`, the variable): render/ names it in the host's words.
        const bundled = m.origin.kind === 'bundled';
        const origin = hint.say('{0} (from {1})', hint.text(m.matrix.source), hint.source(m.origin));
        // `{0}` in `text` is where the matrix came from; every other value is a part too, so none is read as a placeholder.
        const where = (text: string, ...values: string[]): Words =>
          hint.say(text, bundled ? hint.text(BUNDLED) : origin, ...values.map((v) => hint.text(v)));
        const d = m.matrix.doc;
        const summary = `servers ${d.supported_server_range}, schema ${d.min_schema_revision} or later`;
        const facts = { Matrix: bundled ? BUNDLED : origin };
        if (d.cli_version !== ctx.cli.version) {
          return {
            status: 'warn',
            detail: where('{0} was written for CLI {1}, this is CLI {2}', d.cli_version, ctx.cli.version),
            ...(bundled
              ? { remedy: `Reinstall ${ctx.product}: its bundled matrix does not match its version` }
              : { hint: hint.say(`Use the compat.json that ships with CLI ${ctx.cli.version}, or drop {0}`, hint.source(m.origin)) }),
            facts,
          };
        }
        return pass(where('{0}, valid: {1}', summary), facts);
      },
    },
    {
      id: 'cli.config',
      title: 'Config file',
      section: SECTION.cli,
      run(ctx) {
        const c = ctx.config;
        if (c.state === 'missing') return pass(`none at ${c.path} (optional)`);
        if (c.state === 'invalid') return { status: 'fail', detail: c.error.message, remedy: c.error.remedy, hint: c.error.hint };
        const servers = namedServers(c.config);
        const names = Object.keys(servers);
        const current = currentServer(c.config);
        const withTokens = names.filter((n) => servers[n]?.token).length;
        const what = names.length
          ? `${plural(names.length, 'server')} (${names.join(', ')})${current ? `, current "${current}"` : ', none current'}${withTokens ? `, ${withTokens} with a token` : ''}`
          : 'no servers';
        const warning = c.warnings[0];
        if (warning) {
          // The loader's warning ends in the command that fixes it ("…; run: chmod 600 FILE").
          const [detail, fix] = warning.split('; run: ');
          return { status: 'warn', detail: detail ?? warning, remedy: fix ?? null };
        }
        return pass(`${c.path}: valid, ${what}`);
      },
    },
    {
      id: 'cli.token',
      title: 'Token',
      section: SECTION.cli,
      run(ctx) {
        const variable = envName(ctx.envPrefix, 'TOKEN');
        const s = ctx.server;
        if (s.kind === 'ok' && s.tokenSource) return pass(`set (from ${s.tokenSource})`);
        if (ctx.env[variable]) return pass(`set (from ${variable})`);
        const servers = ctx.config.state === 'ok' ? namedServers(ctx.config.config) : {};
        const withTokens = Object.keys(servers).filter((n) => servers[n]?.token);
        if (s.kind === 'ok' && withTokens.length) {
          // The classic mistake: a token stored for one URL, and --server spelling the server another way.
          const url = redactUrl(s.url);
          return {
            status: 'warn',
            detail: `not set for ${url}; the config file has a token only for ${withTokens.map((n) => `"${n}"`).join(', ')}`,
            hint: hint.say(
              'Pass {0}, or store a token for this server: {1}',
              hint.flag('server', withTokens[0]),
              hint.run(['server', 'add', 'NAME', url], { args: [{ flag: 'with-token' }] }),
            ),
          };
        }
        if (withTokens.length) return pass(`not set; the config file has a token for ${withTokens.map((n) => `"${n}"`).join(', ')}`);
        return pass(ctx.env[variable] === '' ? `not set (${variable} is empty)` : 'not set');
      },
    },
  ];
}

/** Node's version against `engines.node` (exported for tests). */
export function nodeVersionOutcome(version: string, range: string | null): CheckOutcome {
  const facts = { Node: `v${version} (${platform()} ${arch()})` };
  if (!range || !semver.validRange(range)) return pass(`v${version} on ${platform()} ${arch()}`, facts);
  if (semver.satisfies(version, range)) return pass(`v${version} on ${platform()} ${arch()}, satisfies ${range}`, facts);
  const min = semver.minVersion(range);
  return {
    status: 'fail',
    detail: `v${version} does not satisfy ${range} (engines.node)`,
    remedy: `Install Node.js ${min ? `${min.major}.${min.minor}` : range} or newer`,
    facts,
  };
}

/** The network between here and the server: proxy variables, extra CA certificates. */
export function networkChecks(): DoctorCheck<DoctorContext>[] {
  return [
    {
      id: 'network.proxy',
      title: 'Proxy',
      section: SECTION.network,
      run: proxyOutcome,
    },
    {
      id: 'network.ca',
      title: 'Extra CA certs',
      section: SECTION.network,
      run(ctx) {
        const file = ctx.env.NODE_EXTRA_CA_CERTS;
        if (!file) return pass('NODE_EXTRA_CA_CERTS not set');
        // The one reader of user-controlled files: a FIFO or a device is a failed check, never a hung doctor.
        const read = readRegularFile(file, MAX_CA_FILE_BYTES);
        if (!read.ok) {
          return {
            status: 'fail',
            detail: `NODE_EXTRA_CA_CERTS=${file} cannot be read (${read.why})`,
            remedy: 'Point NODE_EXTRA_CA_CERTS at a readable PEM file, or unset it',
          };
        }
        const text = read.data.toString('utf8');
        const count = text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
        if (count === 0) {
          return {
            status: 'fail',
            detail: `NODE_EXTRA_CA_CERTS=${file} holds no PEM certificate, so Node ignores it`,
            remedy: 'Point NODE_EXTRA_CA_CERTS at a PEM file (-----BEGIN CERTIFICATE-----)',
          };
        }
        return pass(`NODE_EXTRA_CA_CERTS=${file}: readable, ${plural(count, 'certificate')}`);
      },
    },
  ];
}

function proxyOutcome(ctx: DoctorContext): CheckOutcome {
  const settings = readProxySettings(ctx.env);
  const target = ctx.server.kind === 'ok' && ctx.network ? ctx.server.url : null;
  if (settings.set.length === 0) return pass(target ? `none set: requests to ${target.host} go direct` : 'none set');
  const shown = settings.set.map(({ name, value }) => {
    if (/^no_proxy$/i.test(name)) return `${name}=${value}`;
    const p = describeProxy(value);
    return `${name}=${p.text}${p.hasCredentials ? ' (credentials redacted)' : ''}`;
  });
  const listed = shown.join(', ');
  // The transport's own rule (src/input's normalizeProxy): what it refuses fails here, what it accepts passes.
  for (const { name, value } of settings.set) {
    if (/^no_proxy$/i.test(name) || value === '') continue;
    try {
      normalizeProxy(name, value);
    } catch (err) {
      if (!isHandshakeError(err)) throw err;
      return { status: 'fail', detail: `${err.message}: ${listed}`, remedy: err.remedy, hint: err.hint };
    }
  }
  let route = '';
  if (target) {
    const r = routeFor(target, settings);
    const covering = noProxyMatch(target, settings.noProxy);
    route =
      r.via === 'proxy'
        ? `; requests to ${target.host} go through ${describeProxy(r.proxy).text} (NO_PROXY does not cover ${target.hostname})`
        : r.reason === 'no_proxy'
          ? `; requests to ${target.host} go direct (NO_PROXY entry "${r.entry}")`
          : `; requests to ${target.host} go direct (no proxy for ${target.protocol}//${covering ? `, and NO_PROXY entry "${covering}" covers it` : ''})`;
  }
  for (const [lower, upper] of [
    ['http_proxy', 'HTTP_PROXY'],
    ['https_proxy', 'HTTPS_PROXY'],
    ['no_proxy', 'NO_PROXY'],
  ] as const) {
    const a = ctx.env[lower];
    const b = ctx.env[upper];
    if (a !== undefined && b !== undefined && a !== b) {
      return {
        status: 'warn',
        detail: `${lower} and ${upper} differ, and ${lower} wins: ${listed}${route}`,
        remedy: `Give both the same value, or unset one of them`,
      };
    }
  }
  return pass(`${listed}${route}`);
}
