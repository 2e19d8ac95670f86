import { Args, Flags } from '@oclif/core';
import { quote } from 'shell-quote';
import { addServer, updateConfig } from '../../src/config/config.js';
import { ErrorCode, HandshakeError } from '../../src/errors.js';
import { readUserFile } from '../../src/input/index.js';
import { formatServerList, serverList } from '../../src/render/servers.js';
import { BaseCommand, commonFlags } from '../_lib/base.js';
import { readSecretLine } from '../_lib/secret-prompt.js';

export default class ServerAdd extends BaseCommand {
  static override summary = 'Add a named server to the config file.';
  static override description = `The token never goes in argv: pipe it in with --with-token. The first server added becomes the current one.
Adding a name that is already configured with another URL is refused unless --force is given (then it is replaced, and its stored token dropped); the same name and URL again only updates the token given with --with-token.`;
  static override examples = [
    '<%= config.bin %> server add prod https://observability.example.com',
    'echo "$TOKEN" | <%= config.bin %> server add staging https://staging.example.com --with-token --use',
  ];
  static override args = {
    name: Args.string({ required: true, description: 'A short name: prod, eu-staging…' }),
    url: Args.string({ required: true, description: 'The server base URL.' }),
  };
  static override flags = {
    json: commonFlags.json,
    'with-token': Flags.boolean({
      description: 'Read the token for this server from stdin; on a terminal, a prompt that does not echo it (Enter to finish).',
    }),
    use: Flags.boolean({ description: 'Make it the current server.' }),
    force: Flags.boolean({ description: 'Replace a server already configured under this name.' }),
  };

  /**
   * The token: typed at a prompt that does not echo it when stdin is a terminal (Enter ends it), else
   * stdin to its end, capped (a token is one line; /dev/zero must not fill the memory).
   */
  private async readToken(name: string): Promise<string> {
    if (this.io.stdin.isTTY)
      return (
        await readSecretLine(`Token for ${name} (input hidden, Enter to finish): `, (text) => this.err(text), this.io.stdin.stream)
      ).trim();
    return readUserFile('-', 'the token', this.io.stdin.fd).toString('utf8').trim();
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ServerAdd);
    const token = flags['with-token'] ? await this.readToken(args.name) : undefined;
    if (flags['with-token'] && !token) {
      throw new HandshakeError(ErrorCode.Usage, `--with-token read an empty token from ${this.io.stdin.isTTY ? 'the terminal' : 'stdin'}`, {
        remedy: `Pipe the token in: echo "$TOKEN" | ${quote([this.config.bin, 'server', 'add', args.name, args.url, '--with-token'])}`,
      });
    }
    if (token) this.addSecrets([token]);
    const file = this.configFile();
    const { before, after: config } = await updateConfig(
      file,
      (current) => addServer(current, args.name, args.url, token, flags.use, flags.force),
      this.io.env,
    );
    const replaced = before.servers[args.name];
    if (replaced && replaced.url !== config.servers[args.name]?.url) this.note(`Replaced server "${args.name}" (was ${replaced.url}).`);
    this.emit(serverList(config, file), formatServerList);
  }
}
