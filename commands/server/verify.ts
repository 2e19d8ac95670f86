import { Flags } from '@oclif/core';
import { runVerify } from '../../src/doctor/verify/index.js';
import { ExitCode } from '../../src/render/exit-codes.js';
import { formatVerify, formatVerifyMarkdown, verifyDocument } from '../../src/render/verify.js';
import { requireServer } from '../../src/session/session.js';
import { formatSeconds } from '../../src/text.js';
import { redactUrl } from '../../src/url.js';
import { BaseCommand, commonFlags, serverFlags } from '../_lib/base.js';

export default class ServerVerify extends BaseCommand {
  static override summary = "Check a live server against the published protocol (docs/protocol.md): for the server's author and its CI.";
  static override description =
    'Read-only: GET and HEAD requests, and, when the server advertises an admin migration endpoint, two POSTs it must refuse ' +
    '(no token, then the ordinary token) with a body that can start nothing. The admin token is never read. ' +
    "Each check names the protocol section it verifies and how to fix the server. Honours the matrix's version path, header names and endpoints.\n\n" +
    'Exit codes: 0 no check failed (warnings allowed), 3 a check failed, 4 the server could not be reached, 2 usage.';
  static override examples = [
    '<%= config.bin %> server verify --server http://127.0.0.1:8080',
    '<%= config.bin %> server verify --server http://127.0.0.1:8080 --json',
    '<%= config.bin %> server verify --markdown',
  ];
  static override flags = {
    ...commonFlags,
    ...serverFlags,
    markdown: Flags.boolean({ description: 'Print a Markdown block for a pull request or an issue.', exclusive: ['json'] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ServerVerify);
    const session = this.openSession(flags);
    const server = requireServer(session);
    const target = `${redactUrl(server.url)} (each request up to ${formatSeconds(session.timeoutMs)})`;
    const report = await this.waitingFor(target, runVerify({ resolution: session.resolution, now: this.io.now }));
    const width = this.io.stdout.isTTY ? this.io.stdout.columns : undefined;
    this.emit(verifyDocument(report), (_, style) =>
      flags.markdown ? formatVerifyMarkdown(report, { bin: this.config.bin }) : formatVerify(report, style, { width }),
    );
    this.setExit(!report.reachable ? ExitCode.Unchecked : report.ok ? ExitCode.Ok : ExitCode.Incompatible);
  }
}
