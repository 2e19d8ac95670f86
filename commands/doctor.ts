import { Flags } from '@oclif/core';
import { runDoctor } from '../src/doctor/index.js';
import { doctorDocument, formatDoctor, formatDoctorMarkdown } from '../src/render/doctor.js';
import { ExitCode } from '../src/render/exit-codes.js';
import { formatSeconds } from '../src/text.js';
import { redactUrl } from '../src/url.js';
import { BaseCommand, commonFlags, serverFlags } from './_lib/base.js';

export default class Doctor extends BaseCommand {
  static override summary = 'Check this CLI, the network and the server: one screen, safe to paste into a support ticket.';
  static override description =
    'Runs independent checks concurrently, each with its own timeout, and works when the server is down. ' +
    'Tokens, URL credentials and the home directory are redacted in every format.\n\n' +
    'Exit codes: 0 no check failed (warnings allowed), 3 a check failed, 2 usage.';
  static override examples = [
    '<%= config.bin %> doctor --server https://observability.example.com',
    '<%= config.bin %> doctor --markdown | pbcopy',
    '<%= config.bin %> doctor --no-network --json',
  ];
  static override flags = {
    ...commonFlags,
    ...serverFlags,
    'no-network': Flags.boolean({ allowNo: false, description: 'Skip the Server health checks: look only at this machine.' }),
    markdown: Flags.boolean({ description: 'Print a Markdown block ready for a support ticket.', exclusive: ['json'] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    const resolution = this.resolve(flags);
    const server = resolution.server.kind === 'ok' && !flags['no-network'] ? ` of ${redactUrl(resolution.server.url)}` : '';
    const target = `the checks${server} (each up to ${formatSeconds(resolution.timeoutMs)})`;
    const report = await this.waitingFor(
      target,
      runDoctor({ cliVersion: this.config.version, resolution, network: !flags['no-network'], now: this.io.now }),
    );
    const width = this.io.stdout.isTTY ? this.io.stdout.columns : undefined;
    this.emit(doctorDocument(report), (_, style) =>
      flags.markdown ? formatDoctorMarkdown(report, { bin: this.config.bin }) : formatDoctor(report, style, { width }),
    );
    this.setExit(report.ok ? ExitCode.Ok : ExitCode.Incompatible);
  }
}
