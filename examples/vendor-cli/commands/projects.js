// acme's own command: an ordinary API call that goes through handshake's checked client, so it gets
// the passive version check (drift warnings on stderr, exit 3 on an incompatible server) for free.
import { Flags } from '@oclif/core';
import { CheckedClient, ExitCode, passiveFails } from 'handshake-compat';
import { BaseCommand, commonFlags, serverFlags } from 'handshake-compat/oclif';

export default class Projects extends BaseCommand {
  static summary = 'List the projects on the acme server.';
  static flags = { ...commonFlags, ...serverFlags, limit: Flags.integer({ description: 'Show at most this many.', default: 20 }) };

  async run() {
    const { flags } = await this.parse(Projects);
    const client = new CheckedClient(this.openSession(flags));
    const res = await client.request('/api/v1/projects');
    if (res.status !== 200) {
      this.note(`acme: the server answered HTTP ${res.status}`);
      this.setExit(ExitCode.Unchecked);
    } else {
      const { projects = [] } = JSON.parse(res.body.toString('utf8'));
      this.emit(projects.slice(0, flags.limit), (list) => `${list.map((p) => `${p.id}\t${p.name}`).join('\n')}\n`);
    }
    const passive = await client.finish();
    if (passive.warning) this.warnPassive(passive.warning);
    if (res.status === 200 && passiveFails(passive)) this.setExit(ExitCode.Incompatible);
  }
}
