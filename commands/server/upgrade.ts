import { createInterface } from 'node:readline/promises';
import { Flags } from '@oclif/core';
import type { Ora } from 'ora';
import { ErrorCode, HandshakeError } from '../../src/errors.js';
import { ExitCode } from '../../src/render/exit-codes.js';
import { sanitize } from '../../src/render/sanitize.js';
import { formatHopStart, formatPlan, formatPollState, formatUpgradeResult } from '../../src/render/server.js';
import type { UpgradePlan } from '../../src/upgrade/plan.js';
import { type UpgradeOutcome, upgradeServer } from '../../src/upgrade/upgrade.js';
import { BaseCommand, commonFlags, serverFlags } from '../_lib/base.js';

const EXIT: Readonly<Record<UpgradeOutcome, number>> = {
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
function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new HandshakeError(ErrorCode.Usage, `--${flag} must be a positive number of seconds, got "${value}"`, {
      remedy: `--${flag} ${flag === 'wait' ? '600' : '2'}`,
    });
  }
  return Math.round(n * 1000);
}

export default class ServerUpgrade extends BaseCommand {
  static override summary =
    'Plan a server upgrade, print the exact commands for the server host, then wait until the server reports the target.';
  static override description =
    `<%= config.bin %> runs nothing on the server: it prints the backup and upgrade commands for the server's deployment kind (stdout), hop by hop through every required upgrade stop, asks for confirmation (or --yes), then polls the version endpoint until each hop is done (progress on stderr).

Exit codes: 0 upgraded, already up to date, or --dry-run; 2 usage, or confirmation needed (--yes); 3 the server reported a failed migration, or no upgrade can help (a dev build, a server newer than this CLI); 4 the server could not be reached or checked, or --wait ran out; 130 interrupted (the upgrade may still be running: check with \`server status\`).`;
  static override examples = [
    '<%= config.bin %> server upgrade --server https://observability.example.com --dry-run',
    '<%= config.bin %> server upgrade --to 1.4.2 --deployment docker-compose',
    '<%= config.bin %> server upgrade --yes --wait 900 --json',
  ];
  static override flags = {
    ...commonFlags,
    ...serverFlags,
    to: Flags.string({ description: 'Server version to end at (default: the recommended version).', helpValue: 'VERSION' }),
    deployment: Flags.string({
      description:
        'Deployment kind whose commands to print, when the server does not report one (docker-compose, helm, rpm, deb; others get generic steps).',
      helpValue: 'KIND',
    }),
    yes: Flags.boolean({ char: 'y', description: 'Confirm without a prompt (required without a terminal).' }),
    'dry-run': Flags.boolean({ description: 'Print the plan and exit: no confirmation, no polling.' }),
    interval: Flags.string({ description: 'Seconds between polls (fractions allowed).', default: '2', helpValue: 'SECONDS' }),
    wait: Flags.string({ description: 'Seconds to wait for the server, all hops together.', default: '600', helpValue: 'SECONDS' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ServerUpgrade);
    const intervalMs = seconds('interval', flags.interval);
    const waitMs = seconds('wait', flags.wait);
    const session = this.openSession(flags);

    const stderr = process.stderr;
    const canPrompt = Boolean(process.stdin.isTTY && stderr.isTTY);
    const errStyle = this.errStyle;
    const color = errStyle.color;
    // ora never finishes a frame on a 0-column stream: a spinner only on a real, sized terminal.
    const spin = Boolean(stderr.isTTY && stderr.columns) && process.env.TERM !== 'dumb';
    // ora takes tens of ms to load: only where a spinner will show.
    const ora = spin ? (await import('ora')).default : null;
    // The spinner writes to the terminal itself: what it shows is cleaned like everything else first.
    const shown = (text: string) => this.clean(text, errStyle);
    let spinner: Ora | null = null;
    let toldOutage = false;

    const controller = new AbortController();
    let interrupts = 0;
    const onSigint = () => {
      interrupts += 1;
      // A second Ctrl-C does not wait for anything.
      if (interrupts > 1) {
        spinner?.stop();
        process.exit(ExitCode.Interrupted);
      }
      controller.abort();
    };
    process.on('SIGINT', onSigint);

    try {
      const result = await upgradeServer(
        session,
        { to: flags.to, deployment: flags.deployment, dryRun: flags['dry-run'], intervalMs, waitMs, signal: controller.signal },
        {
          plan: (plan, before) => {
            if (!this.jsonMode) this.out(formatPlan(plan, before, this.style));
          },
          confirm: async (plan) => {
            if (flags.yes) return true;
            if (!canPrompt) {
              throw new HandshakeError(ErrorCode.Usage, 'confirmation needed, and there is no terminal to ask on', {
                remedy: 'Pass --yes to confirm (or --dry-run to only print the plan)',
              });
            }
            return this.ask(shown(confirmQuestion(plan)), controller);
          },
          hopStart: (hop, plan) => {
            const line = formatHopStart(hop, plan.hops.length, intervalMs, waitMs);
            if (ora)
              spinner = ora({
                stream: stderr,
                text: shown(line),
                discardStdin: false,
                isEnabled: true,
                color: color ? 'cyan' : false,
              }).start();
            else this.err(`${line}\n`);
          },
          pollEvent: (event, hop, plan) => {
            const prefix = `hop ${hop.number}/${plan.hops.length} → ${sanitize(hop.to)}`;
            if (event.type === 'seen') {
              const expected = event.state.outage && !toldOutage ? '; expected while the server restarts, still waiting' : '';
              if (event.state.outage) toldOutage = true;
              if (spinner)
                spinner.text = shown(
                  `${prefix}: ${formatPollState(event.state).trim()}${event.state.outage ? ' (expected while it restarts)' : ''}`,
                );
              else if (event.changed) this.err(`${formatPollState(event.state)}${expected}\n`);
              return;
            }
            if (event.type === 'done') {
              const line = `${prefix}: reached (${sanitize(event.state.summary)})`;
              if (spinner) spinner.succeed(shown(line));
              else this.err(`  ${line}\n`);
            } else if (spinner) {
              spinner.fail(shown(`${prefix}: ${event.type.replace('_', ' ')}`));
            } else if (event.type !== 'interrupted') {
              this.err(`  ${prefix}: ${event.type.replace('_', ' ')}\n`);
            }
            spinner = null;
          },
        },
      );
      this.emit(result, formatUpgradeResult);
      this.setExit(EXIT[result.outcome]);
    } finally {
      (spinner as Ora | null)?.stop();
      process.off('SIGINT', onSigint);
    }
  }

  /** Asks on stderr; default No. Ctrl-C here is an interruption (130), end of input a No. */
  private async ask(question: string, controller: AbortController): Promise<boolean> {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const local = new AbortController();
    const stop = () => local.abort();
    controller.signal.addEventListener('abort', stop, { once: true });
    rl.on('SIGINT', () => controller.abort());
    rl.on('close', stop);
    try {
      const answer = await rl.question(question, { signal: local.signal });
      return /^y(es)?$/i.test(answer.trim());
    } catch {
      if (controller.signal.aborted) {
        this.err('\n');
        throw new HandshakeError(ErrorCode.Aborted, 'interrupted at the confirmation: nothing was polled and nothing was run', {
          remedy: `Check the server with: ${this.config.bin} server status`,
        });
      }
      return false;
    } finally {
      controller.signal.removeEventListener('abort', stop);
      rl.close();
    }
  }
}

function confirmQuestion(plan: UpgradePlan): string {
  const hops = plan.hops.length === 1 ? '' : ` (${plan.hops.length} hops)`;
  return `Run the commands above on the server host; this CLI then waits for ${sanitize(plan.target)}${hops}. Continue? [y/N] `;
}
