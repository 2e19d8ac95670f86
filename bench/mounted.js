// handshake mounted in a vendor's CLI, as a vendor does it: a CLI made by `oclif generate` (the oclif devDependency,
// which `npx oclif generate` runs), handshake-compat packed with `npm pack` and added to the vendor's dependencies and
// `oclif.plugins`, the vendor's compat.json shipped, the vendor CLI packed in turn and installed from its tarball with
// `npm install -g --prefix`. The same generated CLI without the plugin is installed beside it, so the plugin's own
// cost at start-up shows in `--version`. Goal (issue 24): `mycli compat check --json` ≤ 1.4× `mycli --version`.
//
//   node bench/mounted.js [--quick]     prints a Markdown section (bench/run.js includes it)
//
// Generating takes minutes (it installs the generated project's devDependencies): the generated project is kept in
// the temporary directory, by oclif's version, and reused.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { alternate, fmt, load, machine, normalServer, timeProcess } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 5 : 15;
const sh = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
const npm = (args, cwd) => sh('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], cwd);

/** The project `oclif generate mycli` makes (ESM, npm), kept by oclif's version. */
function generated() {
  const oclifVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'oclif', 'package.json'), 'utf8')).version;
  const home = join(tmpdir(), `handshake-bench-oclif-generate-${oclifVersion}`);
  const project = join(home, 'mycli');
  if (existsSync(join(project, 'dist')) && existsSync(join(project, 'oclif.manifest.json'))) return { project, oclifVersion };
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const oclif = join(ROOT, 'node_modules', '.bin', 'oclif');
  sh(oclif, ['generate', 'mycli', '--yes', '--module-type', 'ESM', '--package-manager', 'npm', '--bin', 'mycli', '--name', 'mycli'], home);
  sh(join(project, 'node_modules', '.bin', 'oclif'), ['manifest'], project); // what the vendor's prepack does
  return { project, oclifVersion };
}

/** Packs `dir` and installs its tarball into a prefix of its own; returns the installed bin. */
function packAndInstall(dir, work, name) {
  const tarball = join(work, JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], dir))[0].filename);
  const prefix = join(work, `${name}-prefix`);
  npm(['install', '-g', tarball, '--prefix', prefix], work);
  return join(prefix, 'bin', 'mycli');
}

const work = mkdtempSync(join(tmpdir(), 'handshake-bench-mounted-'));
const server = await normalServer();
try {
  const loadBefore = load();
  const { project, oclifVersion } = generated();
  const handshakeTarball = join(
    work,
    JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT))[0].filename,
  );

  // The vendor without handshake, and with it: the dependency, the plugin, its own matrix (shipped in `files`).
  const plain = join(work, 'plain');
  cpSync(project, plain, { recursive: true, filter: (src) => !src.includes(`${project}/node_modules`) });
  const mounted = join(work, 'mounted');
  cpSync(plain, mounted, { recursive: true });
  const pjson = JSON.parse(readFileSync(join(mounted, 'package.json'), 'utf8'));
  pjson.dependencies['handshake-compat'] = `file:${handshakeTarball}`;
  pjson.oclif.plugins = [...(pjson.oclif.plugins ?? []), 'handshake-compat'];
  pjson.files = [...(pjson.files ?? []), './compat.json'];
  writeFileSync(join(mounted, 'package.json'), JSON.stringify(pjson, null, 2));
  const matrix = JSON.parse(readFileSync(join(ROOT, 'compat.json'), 'utf8'));
  delete matrix.$schema;
  writeFileSync(join(mounted, 'compat.json'), JSON.stringify({ ...matrix, cli_version: pjson.version }, null, 2));

  const plainBin = packAndInstall(plain, work, 'plain');
  const mountedBin = packAndInstall(mounted, work, 'mounted');
  const env = { ...process.env, XDG_CONFIG_HOME: join(work, 'config'), XDG_CACHE_HOME: join(work, 'cache'), NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (/^(MYCLI_|HANDSHAKE_|NODE_OPTIONS$|NODE_ENV$)/.test(k)) delete env[k];
  // Asynchronous: the server answers from this process.
  const time = (bin, args) => () => timeProcess(process.execPath, [bin, ...args], { env });
  const check = ['compat', 'check', '--json', '--server', server.url];
  const { stdout } = await promisify(execFile)(process.execPath, [mountedBin, ...check], { env, encoding: 'utf8' });
  if (JSON.parse(stdout).status !== 'compatible') throw new Error(`mycli compat check: ${stdout}`);

  const goal = await alternate({ rounds: ROUNDS, a: time(mountedBin, check), b: time(mountedBin, ['--version']) });
  const own = await alternate({ rounds: ROUNDS, a: time(mountedBin, ['--version']), b: time(plainBin, ['--version']) });
  const loadAfter = load();
  const row = (what, target, r, labels, met) =>
    `| ${what} | ${target} | ${labels[0]} ${fmt(r.a.median)} | ${labels[1]} ${fmt(r.b.median)} | ${fmt(r.a.min)}–${fmt(r.a.max)} / ${fmt(r.b.min)}–${fmt(r.b.max)} | ${r.ratio.toFixed(3)}× (per round ${r.paired.toFixed(3)}×) | ${met} |`;
  console.log(
    [
      '## Mounted in a vendor CLI: `oclif generate`, installed from tarballs',
      '',
      `\`oclif generate mycli\` (oclif ${oclifVersion}, ESM, npm; its manifest made as its prepack does), handshake-compat added to its`,
      "dependencies (its `npm pack` tarball) and `oclif.plugins` with a compat.json of the vendor's own, the vendor CLI packed and",
      `installed with \`npm install -g --prefix\`; the same CLI without the plugin beside it. ${ROUNDS} rounds alternated after a warm-up`,
      `(the first run writes the code cache). ${machine()}; load average (1 min) ${loadBefore.avg.toFixed(2)} → ${loadAfter.avg.toFixed(2)}.`,
      '',
      '| pair | goal | A (median) | B (median) | min–max A / B | ratio | met |',
      '|---|---|---|---|---|---|---|',
      row(
        '`mycli compat check --json` vs `mycli --version` (mounted)',
        '≤ 1.4×',
        goal,
        ['check', '--version'],
        goal.ratio <= 1.4 ? 'yes' : '**no**',
      ),
      row("`mycli --version` with the plugin vs without (the plugin's own cost at start-up)", '—', own, ['with', 'without'], '—'),
    ].join('\n'),
  );
} finally {
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
