// `compat sync` on a 10,000-revision directory of every format it reads (goal: under a second end to end),
// each generated as its tool writes it, measured in process through the SDK's syncMatrix() and end to end
// through the CLI (`--check` against a stale matrix, and a write with the format detected). Prints one
// Markdown row per measurement; BENCHMARKS.md is left alone.
//
//   npm run build && node bench/sync.js [--quick] [--count N] [--only alembic,knex,…]
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, load, machine, summary, timeProcess } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'run.js');
const { syncMatrix } = await import(new URL('../dist/src/matrix/sync/index.js', import.meta.url).href);

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const countArg = argv.indexOf('--count');
const COUNT = countArg >= 0 ? Number(argv[countArg + 1]) : 10_000;
const ROUNDS = quick ? 3 : 9;
const onlyArg = argv.indexOf('--only');
const ONLY = onlyArg >= 0 ? new Set(argv[onlyArg + 1].split(',')) : null;
const GOAL_MS = 1000;

const loadBefore = load();
const work = mkdtempSync(join(tmpdir(), 'handshake-bench-sync-'));
const env = { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: join(work, 'config'), HANDSHAKE_CACHE_DIR: join(work, 'cache') };
for (const k of ['HANDSHAKE_COMPAT_FILE', 'DEBUG', 'NODE_ENV']) delete env[k];

/** Alembic files as `alembic revision` writes them, the ids hex, the file names not in chain order. */
function alembic(dir) {
  for (let i = 0; i < COUNT; i++) {
    const id = (0x100000000000 + i * 7919).toString(16);
    const down = i === 0 ? 'None' : `"${(0x100000000000 + (i - 1) * 7919).toString(16)}"`;
    writeFileSync(
      join(dir, `${id}_step_${i}.py`),
      `"""step ${i}\n\nRevision ID: ${id}\nRevises: ${down}\nCreate Date: 2026-01-01 00:00:00\n\n"""\nfrom collections.abc import Sequence\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n# revision identifiers, used by Alembic.\nrevision: str = "${id}"\ndown_revision: str | Sequence[str] | None = ${down}\nbranch_labels: str | Sequence[str] | None = None\ndepends_on: str | Sequence[str] | None = None\n\n\ndef upgrade() -> None:\n    op.add_column("t", sa.Column("c${i}", sa.Integer()))\n\n\ndef downgrade() -> None:\n    op.drop_column("t", "c${i}")\n`,
    );
  }
}
const flyway = (dir) => {
  for (let i = 0; i < COUNT; i++) writeFileSync(join(dir, `V1_${i + 1}__step_${i}.sql`), `ALTER TABLE t ADD COLUMN c${i} int;\n`);
};
const sql = (dir) => {
  for (let i = 0; i < COUNT; i++)
    writeFileSync(
      join(dir, `${String(i + 1).padStart(5, '0')}_step_${i}.sql`),
      `-- description: step ${i}\nALTER TABLE t ADD COLUMN c${i} int;\n`,
    );
};

/** The repository's matrix with a one-entry chain: every generated revision is new to it. */
function staleMatrix(first, format) {
  const doc = JSON.parse(readFileSync(join(ROOT, 'compat.json'), 'utf8'));
  doc.schema_chain = [{ revision: first }];
  doc.min_schema_revision = first;
  const file = join(work, `compat-${format}.json`);
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}

const rows = [];
const row = (what, s) =>
  rows.push(`| ${what} | ${fmt(s.median)} | ${fmt(s.min)}–${fmt(s.max)} | ${s.n} | ${s.median < GOAL_MS ? 'met' : 'MISSED'} |`);

const pad = (i, w = 6) => String(i + 1).padStart(w, '0');
const ts = (i) => String(20240101000000 + i);
const files = (dir, name, text) => {
  for (let i = 0; i < COUNT; i++) {
    const file = join(dir, name(i));
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text(i));
  }
};
const django = (dir) =>
  files(
    dir,
    (i) => `${pad(i, 5)}_step_${i}.py`,
    (i) =>
      `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [${i === 0 ? '' : `("app", "${pad(i - 1, 5)}_step_${i - 1}")`}]\n\n    operations = []\n`,
  );
const prisma = (dir) => {
  writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  files(
    dir,
    (i) => `${ts(i)}_step_${i}/migration.sql`,
    (i) => `ALTER TABLE t ADD COLUMN c${i} int;\n`,
  );
};
const rails = (dir) =>
  files(
    dir,
    (i) => `${ts(i)}_step_${i}.rb`,
    (i) => `class Step${i} < ActiveRecord::Migration[7.1]\nend\n`,
  );
const js = (up) => (dir) =>
  files(
    dir,
    (i) => `${ts(i)}_step_${i}.js`,
    () => up,
  );
const knex = js('exports.up = function (knex) { return knex.schema; };\nexports.down = function () {};\n');
const sequelize = js('module.exports = { up: async (queryInterface) => {}, down: async () => {} };\n');
const nodePgMigrate = js('exports.up = (pgm) => {};\n');
const kysely = (dir) =>
  files(
    dir,
    (i) => `${ts(i)}_step_${i}.ts`,
    () => "import { Kysely } from 'kysely';\nexport async function up(db: Kysely<any>) {}\n",
  );
const typeorm = (dir) =>
  files(
    dir,
    (i) => `${1700000000000 + i}-Step${i}.ts`,
    (i) =>
      `import { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class Step${i}${1700000000000 + i} implements MigrationInterface {\n  public async up(q: QueryRunner): Promise<void> {}\n}\n`,
  );
const drizzle = (dir) => {
  const tags = Array.from({ length: COUNT }, (_, i) => `${pad(i, 5)}_step_${i}`);
  mkdirSync(join(dir, 'meta'));
  writeFileSync(
    join(dir, 'meta/_journal.json'),
    JSON.stringify({ version: '7', entries: tags.map((tag, idx) => ({ idx, version: '7', when: idx, tag, breakpoints: true })) }),
  );
  for (const tag of tags) writeFileSync(join(dir, `${tag}.sql`), 'SELECT 1;\n');
};
const goose = (dir) =>
  files(
    dir,
    (i) => `${pad(i, 5)}_step_${i}.sql`,
    () => '-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 1;\n',
  );
const liquibase = (dir) => {
  writeFileSync(
    join(dir, 'changelog-master.xml'),
    '<databaseChangeLog>\n  <includeAll path="changes/" relativeToChangelogFile="true"/>\n</databaseChangeLog>\n',
  );
  files(
    dir,
    (i) => `changes/${pad(i, 5)}_step.sql`,
    (i) => `--liquibase formatted sql\n--changeset dev:${i}\nSELECT 1;\n`,
  );
};
const laravel = (dir) =>
  files(
    dir,
    (i) => `2024_01_01_${pad(i)}_step_${i}.php`,
    () => '<?php\n\nuse Illuminate\\Database\\Migrations\\Migration;\n\nreturn new class extends Migration {};\n',
  );
const ecto = (dir) =>
  files(
    dir,
    (i) => `${ts(i)}_step_${i}.exs`,
    (i) => `defmodule Repo.Migrations.Step${i} do\n  use Ecto.Migration\nend\n`,
  );
const efcore = (dir) =>
  files(
    dir,
    (i) => `${ts(i)}_Step${i}.Designer.cs`,
    (i) => `[DbContext(typeof(AppDb))]\n[Migration("${ts(i)}_Step${i}")]\npartial class Step${i} {}\n`,
  );
const diesel = (dir) => {
  files(
    dir,
    (i) => `${ts(i)}_step_${i}/up.sql`,
    () => 'SELECT 1;\n',
  );
  files(
    dir,
    (i) => `${ts(i)}_step_${i}/down.sql`,
    () => 'SELECT 1;\n',
  );
};
const sqlx = (dir) =>
  files(
    dir,
    (i) => `${ts(i)}_step_${i}.sql`,
    () => 'SELECT 1;\n',
  );

/** [format, generator, the first revision's id, whether detection finds it] */
const FORMATS = [
  ['alembic', alembic, (0x100000000000).toString(16), true],
  ['django', django, '00001_step_0', true],
  ['prisma', prisma, `${ts(0)}_step_0`, true],
  ['rails', rails, ts(0), true],
  ['flyway', flyway, '1.1', true],
  ['sql', sql, '00001_step_0', true],
  ['knex', knex, `${ts(0)}_step_0.js`, true],
  ['typeorm', typeorm, 'Step01700000000000', true],
  ['sequelize', sequelize, `${ts(0)}_step_0.js`, true],
  ['drizzle', drizzle, '00001_step_0', true],
  ['node-pg-migrate', nodePgMigrate, `${ts(0)}_step_0`, true],
  ['kysely', kysely, `${ts(0)}_step_0`, true],
  ['goose', goose, '1', true],
  ['liquibase', liquibase, 'changes/00001_step.sql::0::dev', true],
  ['laravel', laravel, '2024_01_01_000001_step_0', true],
  ['ecto', ecto, ts(0), true],
  ['efcore', efcore, `${ts(0)}_Step0`, true],
  ['diesel', diesel, ts(0), true],
  ['sqlx', sqlx, ts(0), false],
].filter(([format]) => ONLY === null || ONLY.has(format));

for (const [format, make, first, detected] of FORMATS) {
  const dir = join(work, format);
  mkdirSync(dir);
  make(dir);
  const stale = staleMatrix(first, format);
  // In process: read, order, compare (check), and the write into a fresh copy each round.
  const inProcess = [];
  for (let i = 0; i < ROUNDS + 1; i++) {
    const started = performance.now();
    const r = syncMatrix({ dir, format, matrixFile: stale, check: true });
    if (i > 0) inProcess.push(performance.now() - started);
    if (r.chain.length !== COUNT) throw new Error(`bench/sync.js: ${format} read ${r.chain.length} revisions, not ${COUNT}`);
  }
  row(`syncMatrix, ${COUNT.toLocaleString('en')} ${format} revisions (check)`, summary(inProcess));
  const check = [];
  const write = [];
  for (let i = 0; i < ROUNDS + 1; i++) {
    const c = await timeProcess(process.execPath, [BIN, 'compat', 'sync', dir, '--format', format, '--compat', stale, '--check'], {
      env,
      expect: 3,
    });
    const target = join(work, `write-${format}.json`);
    copyFileSync(stale, target);
    const w = await timeProcess(
      process.execPath,
      [BIN, 'compat', 'sync', dir, '--compat', target, ...(detected ? [] : ['--format', format])],
      {
        env,
      },
    );
    if (i > 0) {
      check.push(c);
      write.push(w);
    }
  }
  row(`\`compat sync --check\`, ${COUNT.toLocaleString('en')} ${format} revisions (process, exit 3)`, summary(check));
  row(
    `\`compat sync\` (write), ${COUNT.toLocaleString('en')} ${format} revisions, ${detected ? 'format detected' : 'format named'} (process)`,
    summary(write),
  );
}
// The fixed cost of starting any command, measured in the same minutes: what the rows above add to it is sync's own.
const start = [];
for (let i = 0; i < ROUNDS + 1; i++) {
  const ms = await timeProcess(process.execPath, [BIN, 'compat', 'show', '--json'], { env });
  if (i > 0) start.push(ms);
}
row('`compat show --json` (process): the fixed start of a command, for comparison', summary(start));
rmSync(work, { recursive: true, force: true });

const loadAfter = load();
console.log(`compat sync, goal: well under ${GOAL_MS} ms for ${COUNT.toLocaleString('en')} revisions — ${machine()}`);
console.log(`load average (1 min) at start and end: ${loadBefore.avg.toFixed(2)}, ${loadAfter.avg.toFixed(2)} on ${loadAfter.cores} cores`);
if (Math.max(loadBefore.avg, loadAfter.avg) > loadAfter.cores)
  console.log('note: other work shared the machine; re-run when it is quieter');
console.log('| measurement | median | min–max | n | goal |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
