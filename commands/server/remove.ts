import { Args } from '@oclif/core';
import { removeServer, updateConfig } from '../../src/config/config.js';
import { formatServerList, serverList } from '../../src/render/servers.js';
import { BaseCommand, commonFlags } from '../_lib/base.js';

export default class ServerRemove extends BaseCommand {
  static override summary = 'Remove a configured server and its token from the config file.';
  static override examples = ['<%= config.bin %> server remove staging'];
  static override args = { name: Args.string({ required: true, description: 'A configured server name.' }) };
  static override flags = { json: commonFlags.json };

  async run(): Promise<void> {
    const { args } = await this.parse(ServerRemove);
    const file = this.configFile();
    const { after: config } = await updateConfig(file, (current) => removeServer(current, args.name), this.io.env);
    this.emit(serverList(config, file), formatServerList);
  }
}
