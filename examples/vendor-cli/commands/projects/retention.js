// acme's command that needs more than the rest of the CLI: retention policies came with server 1.4.0 (revision
// 0005_add_retention_policy), and an operator can switch them off (capabilities.retention). It declares the
// feature (compat.json "features"); handshake checks it before the request is sent, so an older server, or one
// with retention switched off, gets nothing: the command ends with feature_unavailable (exit 3) and the exact fix.
import { Args, Flags } from '@oclif/core';
import { CheckedClient, ExitCode, passiveFails } from 'handshake-compat';
import { BaseCommand, commonFlags, serverFlags } from 'handshake-compat/oclif';

export default class ProjectsRetention extends BaseCommand {
  static summary = "Show a project's retention policy, or set it with --days.";
  static description = 'Needs the retention feature: acme server 1.4.0 or newer, with retention switched on.';
  static features = ['retention'];
  static args = { project: Args.string({ description: 'The project.', default: 'default' }) };
  static flags = {
    ...commonFlags,
    ...serverFlags,
    days: Flags.integer({ description: 'Keep events this many days (1-3650): sets the policy.', min: 1, max: 3650 }),
  };

  async run() {
    const { args, flags } = await this.parse(ProjectsRetention);
    const client = new CheckedClient(this.openSession(flags));
    const res =
      flags.days === undefined
        ? await client.request(`/api/v1/retention?project=${encodeURIComponent(args.project)}`)
        : await client.request('/api/v1/retention', {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ project: args.project, keep_days: flags.days }),
          });
    if (res.status !== 200) {
      this.note(`acme: the server answered HTTP ${res.status}`);
      this.setExit(ExitCode.Unchecked);
    } else {
      const policy = JSON.parse(res.body.toString('utf8'));
      this.emit(policy, (p) => `${p.project}\tkeeps events ${p.keep_days} days\n`);
    }
    const passive = await client.finish();
    if (passive.warning) this.warnPassive(passive.warning);
    if (res.status === 200 && passiveFails(passive)) this.setExit(ExitCode.Incompatible);
  }
}
