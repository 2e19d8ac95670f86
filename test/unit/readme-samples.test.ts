import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

// The README's and docs/'s sample outputs are what the built CLI prints (scripts/readme-samples.js, run by
// `npm run docs:samples`); ports and the loopback URL are shown as the README's example server.
const docs = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('the documentation', () => {
  it('the README has sample blocks, and its Commands table is one table', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme.match(/<!-- sample: /g)?.length ?? 0).toBeGreaterThanOrEqual(3);
    const commands = readme.slice(readme.indexOf('## Commands'), readme.indexOf('`handshake help <command>`'));
    const table = commands.slice(commands.indexOf('| command |'));
    expect(
      table
        .trim()
        .split('\n')
        .every((l) => l.startsWith('|')),
    ).toBe(true);
    for (const c of [
      'compat check',
      'compat show',
      'server status',
      'server upgrade',
      'server verify',
      'api PATH',
      'doctor',
      'autocomplete',
    ]) {
      expect(table).toContain(`\`handshake ${c}`);
    }
  });

  it('relative links point at files (docs other engineers are writing excepted)', () => {
    const pending = new Set(['docs/compat-sync.md', 'docs/verdicts.md']);
    const broken: string[] = [];
    for (const file of docs) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target as string)) continue;
        const path = join(dirname(join(ROOT, file)), target as string);
        if (!existsSync(path) && !pending.has(path.slice(ROOT.length).replace(/^\//, ''))) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
