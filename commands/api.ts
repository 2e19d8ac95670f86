import { Args, Flags } from '@oclif/core';
import { ErrorCode, HandshakeError, isHandshakeError } from '../src/errors.js';
import { parseRetryAfter } from '../src/handshake/observe.js';
import { readUserFile, tokenFromEnv } from '../src/input/index.js';
import { ExitCode } from '../src/render/exit-codes.js';
import { formatApiStatus, formatHttpHead } from '../src/render/report.js';
import { CheckedClient, passiveFails } from '../src/session/checked-client.js';
import { DEFAULT_MAX_BYTES } from '../src/transport/request.js';
import { BaseCommand, commonFlags, serverFlags } from './_lib/base.js';
import { hostBranding } from './_lib/branding.js';
import { headersFrom, maxBytesFlag, parseMethod } from './_lib/flags.js';

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
  static override args = { path: Args.string({ required: true, description: 'API path, e.g. /api/v1/projects' }) };
  static override flags = {
    ...commonFlags,
    ...serverFlags,
    method: Flags.string({ char: 'X', description: 'HTTP method (default GET, or POST with --data).', helpValue: 'METHOD' }),
    data: Flags.string({ char: 'd', description: 'Request body: a string, @file, or @- for stdin.', helpValue: 'BODY' }),
    header: Flags.string({ char: 'H', description: 'Extra header "Name: value" (repeatable).', multiple: true, helpValue: 'HEADER' }),
    include: Flags.boolean({ char: 'i', description: 'Print the status line and response headers before the body.' }),
    'max-bytes': maxBytesFlag(DEFAULT_MAX_BYTES),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Api);
    // Everything the user typed or set is checked before anything is sent (or a handshake started).
    const tokenVariable = `${hostBranding(this.config).envPrefix}_TOKEN`;
    tokenFromEnv(process.env, tokenVariable);
    const method = flags.method === undefined ? undefined : parseMethod(flags.method);
    const headers = headersFrom(flags.header ?? []);
    const body = flags.data === undefined ? undefined : readBody(flags.data);
    const session = this.openSession(flags);
    const client = new CheckedClient(session);
    const res = await client
      .request(args.path, {
        method: method ?? (body === undefined ? 'GET' : 'POST'),
        headers: { ...contentType(body), ...headers },
        body,
        maxBytes: flags['max-bytes'],
      })
      .catch((err: unknown) => {
        // The limit is this command's flag: the remedy names it (the transport only knows a number).
        if (isHandshakeError(err, ErrorCode.TooLarge)) {
          throw new HandshakeError(ErrorCode.TooLarge, err.message, {
            remedy: `Allow a larger answer: --max-bytes ${Math.max(flags['max-bytes'] * 2, DEFAULT_MAX_BYTES)} (now ${flags['max-bytes']}), or check that --server points at the right service`,
            cause: err,
          });
        }
        throw err;
      });
    if (flags.include) this.out(formatHttpHead(res));
    // The body is the data the user asked for (like curl or gh api): byte for byte, the one raw write.
    process.stdout.write(res.body);
    const ok = res.status >= 200 && res.status < 300;
    if (!ok && res.status !== 426) {
      const retryAfter = res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers) : null;
      this.err(formatApiStatus(this.config.bin, args.path, res.status, retryAfter));
      if (res.status === 401 || res.status === 403) this.note(tokenHint(res.status, tokenVariable, session.server?.token ?? null));
    }
    const passive = await client.finish();
    if (passive.warning) this.warnPassive(passive.warning);
    if (res.status === 426) this.setExit(ExitCode.Incompatible);
    else if (!ok) this.setExit(ExitCode.Unchecked);
    else if (passiveFails(passive)) this.setExit(ExitCode.Incompatible);
  }
}

/** What to do about a 401/403: which variable holds the token, and whether one was sent. */
function tokenHint(status: number, variable: string, sent: string | null): string {
  const set = `read -rs ${variable} && export ${variable}  # then paste a valid token`;
  if (!sent) return `No token was sent: set ${variable}. Fix: ${set}`;
  const from = process.env[variable] ? variable : 'the config file';
  return status === 401
    ? `The token from ${from} was refused. Fix: ${set}`
    : `The token from ${from} lacks access to this path. Fix: use a token with more rights: ${set}`;
}

function readBody(data: string): string | Buffer {
  return data.startsWith('@') ? readUserFile(data.slice(1), 'the request body file (-d @file)') : data;
}

function contentType(body: string | Buffer | undefined): Record<string, string> {
  if (body === undefined) return {};
  try {
    JSON.parse(body.toString());
    return { 'content-type': 'application/json' };
  } catch {
    return { 'content-type': 'text/plain; charset=utf-8' };
  }
}
