import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Config } from '@oclif/core';
import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import HandshakeHelp, { helpConfig } from '../../commands/_lib/help.js';
import { envName, envPrefixFor, VARIABLES } from '../../src/env.js';
import { ROOT } from '../helpers/cli.js';

/**
 * The commands' help names variables as `$<%= config.scopedEnvVarKey("TOKEN") %>`; the resolver reads them by
 * src/env.ts's prefix rule. oclif's own scopedEnvVarKey keeps a "." of the bin, so a host whose bin is
 * `acme.cli` was told `export ACME.CLI_TOKEN` (no shell accepts it) while the resolver read ACME_CLI_TOKEN.
 */
/** The help as it would print, kept. */
class KeptHelp extends HandshakeHelp {
  readonly lines: string[] = [];
  protected override log(...args: string[]): void {
    this.lines.push(args.join(' '));
  }
}

describe('the help names the variables the resolver reads', () => {
  async function apiHelp(bin: string): Promise<string> {
    const config = await Config.load(ROOT);
    config.bin = bin;
    const help = new KeptHelp(config, { stripAnsi: true });
    const api = config.findCommand('api');
    expect(api).toBeDefined();
    await help.showCommandHelp(api as NonNullable<typeof api>);
    return help.lines.join('\n');
  }

  it('a bin with a dot: ACME_CLI_TOKEN, as the resolver reads it', async () => {
    const text = await apiHelp('acme.cli');
    expect(text).toContain('export ACME_CLI_TOKEN && acme.cli api');
    expect(text).toContain('$ACME_CLI_TOKEN');
    expect(text).not.toContain('ACME.CLI_');
  });

  it("handshake's own help is unchanged: HANDSHAKE_TOKEN", async () => {
    const text = await apiHelp('handshake');
    expect(text).toContain('$HANDSHAKE_TOKEN');
  });

  it('property: for any command name a bin may have, the help and the resolver name each variable alike', async () => {
    const config = await Config.load(ROOT);
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/), fc.constantFrom(...VARIABLES), (bin, variable) => {
        const view = helpConfig(Object.assign(Object.create(config) as Config, { bin }));
        expect(view.scopedEnvVarKey(variable)).toBe(envName(envPrefixFor(bin), variable));
        expect(view.bin).toBe(bin);
      }),
    );
  });
});

describe('help.ts says what each of its exports is', () => {
  it('the class and helpConfig each carry their own doc comment, one block each', () => {
    const file = join(ROOT, 'commands', '_lib', 'help.ts');
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const docs = new Map<string, string[]>();
    for (const node of source.statements) {
      const name = ts.isClassDeclaration(node) || ts.isFunctionDeclaration(node) ? node.name?.text : undefined;
      if (!name) continue;
      const blocks = (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
      docs.set(
        name,
        blocks.map((b) => ts.getTextOfJSDocComment(b.comment) ?? ''),
      );
    }
    expect(docs.get('HandshakeHelp')).toHaveLength(1);
    expect(docs.get('HandshakeHelp')?.[0]).toMatch(/^oclif's help, with the root help/);
    expect(docs.get('helpConfig')).toHaveLength(1);
    expect(docs.get('helpConfig')?.[0]).toMatch(/^The config help is rendered with/);
  });
});
