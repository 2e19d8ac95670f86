import { Args } from '@oclif/core';
import { updateConfig, useServer } from '../../src/config/config.js';
import { formatServerList, serverList } from '../../src/render/servers.js';
import { BaseCommand, commonFlags } from '../_lib/base.js';

export default class ServerUse extends BaseCommand {
  static override summary = 'Make a configured server the current one (used when --server is not given).';
  static override examples = ['<%= config.bin %> server use prod'];
  static override args = { name: Args.string({ required: true, description: 'A configured server name.' }) };
  static override flags = { json: commonFlags.json };

  async run(): Promise<void> {
    const { args } = await this.parse(ServerUse);
    const file = this.configFile();
    const { after: config } = await updateConfig(file, (current) => useServer(current, args.name), this.io.env);
    this.emit(serverList(config, file), formatServerList);
  }
}
