import { createInterface } from 'node:readline/promises';
import type { Ora } from 'ora';
import { ErrorCode, HandshakeError } from '../../src/errors.js';
import { sanitize } from '../../src/render/sanitize.js';
import { formatHopStart, formatPollState, formatWaiting, upgradeExitCode } from '../../src/render/upgrade.js';
import { plural } from '../../src/text.js';
import type { Hop, UpgradePlan } from '../../src/upgrade/plan.js';
import type { PollEvent, PollState } from '../../src/upgrade/poll.js';
import { currentIO, type IO } from './io.js';

/** Where progress goes: the base command's stderr writer and its cleaner (redaction + sanitizer). */
export interface ProgressSink {
  err(text: string): void;
  clean(text: string): string;
  color: boolean;
}

/**
 * The poll's progress on stderr: an ora spinner on a real, sized terminal without NO_COLOR (ora never
 * finishes a frame on a 0-column stream) that says what it waits for, how long it has waited and how
 * long it will still wait; else one plain line per change of state. SIGINT or SIGTERM once aborts the
 * poll (the outcome is `interrupted`); a second one exits at once.
 */
export class UpgradeProgress {
  readonly controller = new AbortController();
  /** The signal that interrupted the run, if one did. */
  signal: 'SIGINT' | 'SIGTERM' | null = null;
  #spinner: Ora | null = null;
  #ticker: NodeJS.Timeout | null = null;
  #toldOutage = false;
  #started = 0;
  #last: PollState | null = null;
  readonly #onSigint = () => this.#interrupt('SIGINT');
  readonly #onSigterm = () => this.#interrupt('SIGTERM');

  private constructor(
    private readonly sink: ProgressSink,
    private readonly ora: typeof import('ora').default | null,
    private readonly intervalMs: number,
    private readonly waitMs: number,
    private readonly io: IO,
  ) {
    io.onSignal('SIGINT', this.#onSigint);
    io.onSignal('SIGTERM', this.#onSigterm);
  }

  #interrupt(signal: 'SIGINT' | 'SIGTERM'): void {
    // A second signal does not wait for anything.
    if (this.signal) {
      this.#spinner?.stop();
      this.io.exit(upgradeExitCode('interrupted', signal));
    }
    this.signal = signal;
    this.controller.abort(signal);
  }

  /** ora takes tens of ms to load: only where a spinner will show. */
  static async start(sink: ProgressSink, intervalMs: number, waitMs: number, io: IO = currentIO()): Promise<UpgradeProgress> {
    const { stderr, env } = io;
    const spin = Boolean(stderr.isTTY && stderr.columns) && env.TERM !== 'dumb' && !env.NO_COLOR;
    return new UpgradeProgress(sink, spin ? (await import('ora')).default : null, intervalMs, waitMs, io);
  }

  /** The poll starts its clock (`--wait` counts for all hops together). */
  hopStart(hop: Hop, plan: UpgradePlan): void {
    if (this.#started === 0) this.#started = performance.now();
    this.#last = null;
    // What the hop waits for, in full, once; the spinner below keeps the time and the last state.
    this.sink.err(`${formatHopStart(hop, plan.hops.length, this.intervalMs, this.waitMs)}\n`);
    if (!this.ora) return;
    const color = this.sink.color ? 'cyan' : false;
    this.#spinner = this.ora({
      stream: this.io.stderr as NodeJS.WriteStream,
      text: this.#waiting(hop, plan),
      discardStdin: false,
      isEnabled: true,
      color,
    }).start();
    // The elapsed and remaining time move on between polls too.
    this.#ticker = setInterval(() => {
      if (this.#spinner) this.#spinner.text = this.#waiting(hop, plan);
    }, 1000);
    this.#ticker.unref();
  }

  /** One line that fits the terminal: a wrapped spinner line cannot be redrawn in place. */
  #waiting(hop: Hop, plan: UpgradePlan): string {
    const line = formatWaiting(hop, plan.hops.length, performance.now() - this.#started, this.waitMs, this.#last);
    const room = Math.max(20, (this.io.stderr.columns || 80) - 3);
    // Redact and escape first, then cut: a cut never keeps part of a secret, and the escapes count in the width.
    const clean = this.sink.clean(line);
    return clean.length > room ? `${clean.slice(0, room - 1)}…` : clean;
  }

  pollEvent(event: PollEvent, hop: Hop, plan: UpgradePlan): void {
    const prefix = `hop ${hop.number}/${plan.hops.length} → ${sanitize(hop.to)}`;
    const spinner = this.#spinner;
    if (event.type === 'seen') {
      this.#last = event.state;
      const expected = event.state.outage && !this.#toldOutage ? '; expected while the server restarts or migrates, still waiting' : '';
      if (event.state.outage) this.#toldOutage = true;
      if (spinner) spinner.text = this.#waiting(hop, plan);
      else if (event.changed) this.sink.err(`${formatPollState(event.state)}${expected}\n`);
      return;
    }
    this.#stopTicker();
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

  #stopTicker(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
  }

  /** Asks on stderr; default No. Ctrl-C here is an interruption (130), end of input a No. */
  async confirm(plan: UpgradePlan): Promise<boolean> {
    const hops = plan.hops.length === 1 ? '' : ` (${plan.hops.length} hops)`;
    const question = plan.server_migration
      ? `Ask the server to back up and apply its ${plural(plan.server_migration.migrations.length, 'pending migration')} now? [y/N] `
      : `Run the commands above on the server host; this CLI then waits for ${sanitize(plan.target)}${hops}. Continue? [y/N] `;
    const rl = createInterface({ input: this.io.stdin.stream, output: this.io.stderr, terminal: true });
    const local = new AbortController();
    const stop = () => local.abort();
    const { signal } = this.controller;
    signal.addEventListener('abort', stop, { once: true });
    rl.on('SIGINT', () => this.#interrupt('SIGINT'));
    rl.on('close', stop);
    try {
      const answer = await rl.question(this.sink.clean(question), { signal: local.signal });
      return /^y(es)?$/i.test(answer.trim());
    } catch {
      if (signal.aborted) {
        this.sink.err('\n');
        // upgradeServer answers any interruption before the first hop with its `interrupted` outcome and remedy.
        throw new HandshakeError(ErrorCode.Aborted, 'interrupted at the confirmation: nothing was polled and nothing was run');
      }
      return false;
    } finally {
      signal.removeEventListener('abort', stop);
      rl.close();
    }
  }

  /** Stops the spinner and the signal handlers. */
  stop(): void {
    this.#stopTicker();
    this.#spinner?.stop();
    this.io.offSignal('SIGINT', this.#onSigint);
    this.io.offSignal('SIGTERM', this.#onSigterm);
  }
}
