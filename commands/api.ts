import { envName } from '../src/env.js';
import { parseRetryAfter } from '../src/handshake/observe.js';
import { API_OUTCOMES, apiOutcome, formatApiStatus, formatTokenHint } from '../src/render/api.js';
import { formatHttpHead } from '../src/render/report.js';
import { CheckedClient, passiveFails } from '../src/session/checked-client.js';
import { apiArgs, apiFlags, prepareRequest, send } from './_lib/api-request.js';
import { BaseCommand } from './_lib/base.js';
import { hostBranding } from './_lib/branding.js';

export default class Api extends BaseCommand {
  static override summary = 'Make an authenticated request to the server and print the response body.';
  static override description =
    `Like "gh api": the body goes to stdout unchanged, so "| jq" always works. Every call is also checked passively against the cached version check; drift is reported on stderr.
The token is read from $<%= config.scopedEnvVarKey("TOKEN") %> (never a flag: secrets stay out of argv), else from the config file for a server added with "server add --with-token". It is sent only to the server's own origin; a redirect to another origin carries none of the headers given with -H, and no body.
Exit codes: 0 on 2xx, 2 for a flag, file or variable that cannot be used, 4 on any other status or when the server cannot be reached, 3 when the server refuses this CLI (426) or the passive check finds it incompatible.`;
  static override examples = [
    '<%= config.bin %> api /api/v1/projects',
    `<%= config.bin %> api -X POST /api/v1/events -d '{"name":"deploy"}'`,
    '<%= config.bin %> api /api/v1/events -d @event.json -H "X-Request-Id: 42"',
    'read -rs <%= config.scopedEnvVarKey("TOKEN") %> && export <%= config.scopedEnvVarKey("TOKEN") %> && <%= config.bin %> api /api/v1/projects',
  ];
  static override args = apiArgs;
  static override flags = apiFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Api);
    const tokenVariable = envName(hostBranding(this.config).envPrefix, 'TOKEN');
    const req = prepareRequest(flags, tokenVariable, this.io);
    const session = this.openSession(flags);
    const client = new CheckedClient(session, { now: this.io.now });
    const res = await send(client, args.path, req);
    if (flags.include) this.out(formatHttpHead(res));
    // The body is the data the user asked for (like curl or gh api): byte for byte, the one raw write.
    this.io.stdout.write(res.body);
    // On a terminal, what follows (a warning, the status line, the shell's prompt) starts on a line of its own; a pipe
    // gets the body unchanged.
    if (this.io.stdout.isTTY && res.body.length > 0 && res.body[res.body.length - 1] !== 0x0a) this.out('\n');
    if (res.status < 200 || (res.status >= 300 && res.status !== 426)) {
      const retryAfter = res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers) : null;
      this.err(formatApiStatus(this.config.bin, args.path, res.status, retryAfter));
      // Where the token came from is the resolution's to say (src/session/resolve.ts): one rule for api and doctor.
      const target = session.resolution.server;
      const from = target.kind === 'ok' ? target.tokenSource : null;
      if (res.status === 401 || res.status === 403) this.note(formatTokenHint(res.status, hostBranding(this.config).envPrefix, from));
    }
    const passive = await client.finish();
    if (passive.warning) this.warnPassive(passive.warning);
    this.setExit(API_OUTCOMES[apiOutcome(res.status, passiveFails(passive))].exit);
  }
}
