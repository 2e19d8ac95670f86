import { Flags } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { BaseCommand, commonFlags } from '../../commands/_lib/index.js';
import { runCommandInProcess } from '../helpers/in-process.js';

/**
 * A vendor's command whose shared flags sit in oclif's `static baseFlags` (docs/embedding.md): a value oclif
 * refuses there is said in BaseCommand's words (flagValueError, commands/_lib/flags.ts) — the flag, its range,
 * the value typed, exit 2 — as it is for a flag in `static flags`.
 */
class Listing extends BaseCommand {
  static override baseFlags = { limit: Flags.integer({ description: 'Show at most this many.', min: 1, max: 100, default: 20 }) };
  static override flags = { ...commonFlags, page: Flags.integer({ min: 1, max: 9 }) };
  override async run(): Promise<void> {
    const { flags } = await this.parse(Listing);
    this.emit({ limit: flags.limit }, (d) => `${d.limit}\n`);
  }
}
Listing.id = 'listing';

describe("a vendor's baseFlags", () => {
  it('a value out of range is refused in our words, naming the flag and its range', async () => {
    const ok = await runCommandInProcess(Listing, ['--limit', '7']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('7\n');
    const bad = await runCommandInProcess(Listing, ['--limit', '500']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit takes a whole number from 1 to 100, got "500"');
    expect(bad.stderr).not.toMatch(/Expected an integer/);
    // A flag of its own still is, beside the shared ones.
    const page = await runCommandInProcess(Listing, ['--page', '10']);
    expect(page.stderr).toContain('--page takes a whole number from 1 to 9, got "10"');
  });
});
