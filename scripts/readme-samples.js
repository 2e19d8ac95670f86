// `npm run docs:samples`: the sample outputs in README.md and docs/*.md, from real runs of the built CLI.
// Each block between `<!-- sample: NAME -->` and `<!-- /sample -->` is rewritten with what `node bin/run.js`
// prints for that sample against a loopback server, its URL shown as the README's example server. Builds
// nothing: run `npm run build` first. `--check` writes nothing and exits 1 naming every block that drifted
// (test/unit/readme-samples.test.ts runs it).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHOWN = 'https://observability.example.com';
const check = process.argv.includes('--check');

/** Each sample: the server it runs against (a version document), the arguments, and which stream to show. */
const SAMPLES = {
  'compat-check-behind': { doc: { server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' }, args: ['compat', 'check'] },
  'compat-check-json': {
    doc: { server_version: '1.3.0', schema_revision: '0003_add_insight_meta_cache' },
    args: ['compat', 'check', '--json'],
  },
  'compat-check-ok': { doc: { server_version: '1.4.2', schema_revision: '0005_add_retention_policy' }, args: ['compat', 'check'] },
  'typo-command': { doc: null, args: ['compat', 'chek'] },
  'typo-flag': { doc: null, args: ['compat', 'check', '--sever', SHOWN] },
};

function listen(doc) {
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-schema-revision': doc?.schema_revision ?? '',
      'x-server-version': doc?.server_version ?? '',
    });
    res.end(JSON.stringify(doc ?? {}));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })),
  );
}

async function run({ doc, args }) {
  const box = mkdtempSync(join(tmpdir(), 'handshake-samples-'));
  const { server, url } = await listen(doc);
  try {
    const argv = doc ? [...args, '--server', url] : args;
    const env = {
      PATH: process.env.PATH,
      HOME: box,
      XDG_CONFIG_HOME: join(box, 'config'),
      XDG_CACHE_HOME: join(box, 'cache'),
      NO_COLOR: '1',
    };
    // Asynchronously: the server answers from this very process.
    const r = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...argv], { cwd: box, env });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ out, code }));
    });
    const shown = (s) => s.replaceAll(url, SHOWN).replaceAll(box, '~').trimEnd();
    const command = `$ handshake ${args.join(' ')}${doc ? ` --server ${SHOWN}` : ''}`;
    return `\`\`\`console\n${shown(command)}\n${shown(r.out)}\n\`\`\``;
  } finally {
    await new Promise((r) => server.close(r));
    rmSync(box, { recursive: true, force: true });
  }
}

if (!existsSync(join(ROOT, 'bin', 'run.js')) || !existsSync(join(ROOT, 'dist', 'cli.cjs'))) {
  console.error('readme-samples: build first (npm run build)');
  process.exit(2);
}
const files = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const rendered = {};
const drift = [];
for (const file of files) {
  const path = join(ROOT, file);
  const text = readFileSync(path, 'utf8');
  const blocks = [...text.matchAll(/<!-- sample: ([\w-]+) -->\n([\s\S]*?)\n<!-- \/sample -->/g)];
  let next = text;
  for (const [whole, name, body] of blocks) {
    if (!SAMPLES[name]) throw new Error(`${file}: no sample named ${name} in scripts/readme-samples.js`);
    rendered[name] ??= await run(SAMPLES[name]);
    if (body !== rendered[name]) drift.push(`${file}: ${name}`);
    next = next.replace(whole, `<!-- sample: ${name} -->\n${rendered[name]}\n<!-- /sample -->`);
  }
  if (!check && next !== text) writeFileSync(path, next);
}
if (check) {
  if (drift.length) {
    console.log(`drifted from what the CLI prints (run npm run docs:samples):\n${drift.join('\n')}`);
    process.exit(1);
  }
  console.log(`${Object.keys(rendered).length} samples match`);
} else {
  console.log(`${Object.keys(rendered).length} samples rendered${drift.length ? `, ${drift.length} blocks rewritten` : ''}`);
}
