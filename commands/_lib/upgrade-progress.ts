import { createInterface } from 'node:readline/promises';
import type { Ora } from 'ora';
import { ErrorCode, HandshakeError } from '../../src/errors.js';
import { ExitCode } from '../../src/render/exit-codes.js';
import { sanitize } from '../../src/render/sanitize.js';
import { formatHopStart, formatPollState } from '../../src/render/server.js';
import type { Hop, UpgradePlan } from '../../src/upgrade/plan.js';
import type { PollEvent } from '../../src/upgrade/poll.js';
import type { UpgradeOutcome } from '../../src/upgrade/upgrade.js';

/** The exit code of each way `server upgrade` can end (CONTRACT §5, §7). */
export const UPGRADE_EXIT: Readonly<Record<UpgradeOutcome, number>> = {
  up_to_date: ExitCode.Ok,
  planned: ExitCode.Ok,
  upgraded: ExitCode.Ok,
  declined: ExitCode.Usage,
  unreachable: ExitCode.Unchecked,
  unchecked: ExitCode.Unchecked,
  refused: ExitCode.Incompatible,
  migration_failed: ExitCode.Incompatible,
  cli_rejected: ExitCode.Incompatible,
  timeout: ExitCode.Unchecked,
  interrupted: ExitCode.Interrupted,
};

/** A positive number of seconds (fractions allowed), as ms. */
export function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new HandshakeError(ErrorCode.Usage, `--${flag} must be a positive number of seconds, got "${value}"`, {
      remedy: `--${flag} ${flag === 'wait' ? '600' : '2'}`,
    });
  }
  return Math.round(n * 1000);
}

/** Where progress goes: the base command's stderr writer and its cleaner (redaction + sanitizer). */
export interface ProgressSink {
  err(text: string): void;
  clean(text: string): string;
  color: boolean;
}

/**
 * The poll's progress on stderr: an ora spinner with the last state seen on a
 * real, sized terminal (ora never finishes a frame on a 0-column stream), else
 * one plain line per change of state. Ctrl-C once aborts the poll; twice exits.
 */
export class UpgradeProgress {
  readonly controller = new AbortController();
  #spinner: Ora | null = null;
  #toldOutage = false;
  #interrupts = 0;
  readonly #onSigint = () => {
    this.#interrupts += 1;
    // A second Ctrl-C does not wait for anything.
    if (this.#interrupts > 1) {
      this.#spinner?.stop();
      process.exit(ExitCode.Interrupted);
    }
    this.controller.abort();
  };

  private constructor(
    private readonly sink: ProgressSink,
    private readonly ora: typeof import('ora').default | null,
    private readonly intervalMs: number,
    private readonly waitMs: number,
  ) {
    process.on('SIGINT', this.#onSigint);
  }

  /** ora takes tens of ms to load: only where a spinner will show. */
  static async start(sink: ProgressSink, intervalMs: number, waitMs: number): Promise<UpgradeProgress> {
    const stderr = process.stderr;
    const spin = Boolean(stderr.isTTY && stderr.columns) && process.env.TERM !== 'dumb';
    return new UpgradeProgress(sink, spin ? (await import('ora')).default : null, intervalMs, waitMs);
  }

  hopStart(hop: Hop, plan: UpgradePlan): void {
    const line = formatHopStart(hop, plan.hops.length, this.intervalMs, this.waitMs);
    if (this.ora) {
      const color = this.sink.color ? 'cyan' : false;
      this.#spinner = this.ora({
        stream: process.stderr,
        text: this.sink.clean(line),
        discardStdin: false,
        isEnabled: true,
        color,
      }).start();
    } else this.sink.err(`${line}\n`);
  }

  pollEvent(event: PollEvent, hop: Hop, plan: UpgradePlan): void {
    const prefix = `hop ${hop.number}/${plan.hops.length} → ${sanitize(hop.to)}`;
    const spinner = this.#spinner;
    if (event.type === 'seen') {
      const expected = event.state.outage && !this.#toldOutage ? '; expected while the server restarts, still waiting' : '';
      if (event.state.outage) this.#toldOutage = true;
      if (spinner) {
        const note = event.state.outage ? ' (expected while it restarts)' : '';
        spinner.text = this.sink.clean(`${prefix}: ${formatPollState(event.state).trim()}${note}`);
      } else if (event.changed) this.sink.err(`${formatPollState(event.state)}${expected}\n`);
      return;
    }
    if (event.type === 'done') {
      const line = `${prefix}: reached (${sanitize(event.state.summary)})`;
      if (spinner) spinner.succeed(this.sink.clean(line));
      else this.sink.err(`  ${line}\n`);
    } else if (spinner) {
      spinner.fail(this.sink.clean(`${prefix}: ${event.type.replace('_', ' ')}`));
    } else if (event.type !== 'interrupted') {
      this.sink.err(`  ${prefix}: ${event.type.replace('_', ' ')}\n`);
    }
    this.#spinner = null;
  }

  /** Asks on stderr; default No. Ctrl-C here is an interruption (130), end of input a No. */
  async confirm(plan: UpgradePlan, bin: string): Promise<boolean> {
    const hops = plan.hops.length === 1 ? '' : ` (${plan.hops.length} hops)`;
    const question = `Run the commands above on the server host; this CLI then waits for ${sanitize(plan.target)}${hops}. Continue? [y/N] `;
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const local = new AbortController();
    const stop = () => local.abort();
    const { signal } = this.controller;
    signal.addEventListener('abort', stop, { once: true });
    rl.on('SIGINT', () => this.controller.abort());
    rl.on('close', stop);
    try {
      const answer = await rl.question(this.sink.clean(question), { signal: local.signal });
      return /^y(es)?$/i.test(answer.trim());
    } catch {
      if (signal.aborted) {
        this.sink.err('\n');
        throw new HandshakeError(ErrorCode.Aborted, 'interrupted at the confirmation: nothing was polled and nothing was run', {
          remedy: `Check the server with: ${bin} server status`,
        });
      }
      return false;
    } finally {
      signal.removeEventListener('abort', stop);
      rl.close();
    }
  }

  /** Stops the spinner and the Ctrl-C handler. */
  stop(): void {
    this.#spinner?.stop();
    process.off('SIGINT', this.#onSigint);
  }
}
