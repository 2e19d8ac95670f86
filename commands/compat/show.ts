import { formatMatrix } from '../../src/render/report.js';
import { BaseCommand, commonFlags } from '../_lib/base.js';

export default class CompatShow extends BaseCommand {
  static override summary = 'Show the compat matrix this CLI uses: versions, schema chain, upgrade stops and templates.';
  static override examples = ['<%= config.bin %> compat show', '<%= config.bin %> compat show --json'];
  static override flags = { ...commonFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(CompatShow);
    const matrix = this.openMatrix(flags);
    this.emit({ source: matrix.source, matrix: matrix.doc }, (_, style) => formatMatrix(matrix, style));
  }
}
