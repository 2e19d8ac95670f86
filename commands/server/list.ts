import { loadConfig } from '../../src/config/config.js';
import { formatServerList, serverList } from '../../src/render/servers.js';
import { BaseCommand, commonFlags } from '../_lib/base.js';

export default class ServerList extends BaseCommand {
  static override summary = 'List the configured servers (tokens are shown only as set / not set).';
  static override examples = ['<%= config.bin %> server list', '<%= config.bin %> server list --json'];
  static override flags = { json: commonFlags.json };

  async run(): Promise<void> {
    await this.parse(ServerList);
    const file = this.configFile();
    const loaded = loadConfig(file);
    for (const warning of loaded.warnings) this.note(warning);
    const doc = serverList(loaded.config, file);
    this.emit(doc, formatServerList);
    if (doc.servers.length === 0 && !this.jsonMode)
      this.note(
        `Add one: ${this.config.bin} server add NAME URL (e.g. ${this.config.bin} server add prod https://observability.example.com)`,
      );
  }
}
