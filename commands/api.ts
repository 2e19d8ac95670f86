import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { parseRetryAfter } from '../src/handshake/observe.js';
import { ExitCode } from '../src/render/exit-codes.js';
import { formatApiStatus, formatHttpHead } from '../src/render/report.js';
import { CheckedClient, passiveFails } from '../src/session/checked-client.js';
import { DEFAULT_MAX_BYTES } from '../src/transport/request.js';
import { BaseCommand, commonFlags, serverFlags } from './_lib/base.js';

export default class Api extends BaseCommand {
  static override summary = 'Make an authenticated request to the server and print the response body.';
  static override description =
    `Like "gh api": the body goes to stdout unchanged, so "| jq" always works. Every call is also checked passively against the cached version check; drift is reported on stderr.
Exit codes: 0 on 2xx, 4 on any other status or when the server cannot be reached, 3 when the server refuses this CLI (426) or the passive check finds it incompatible.`;
  static override examples = [
    '<%= config.bin %> api /api/v1/projects',
    `<%= config.bin %> api -X POST /api/v1/events -d '{"name":"deploy"}'`,
    '<%= config.bin %> api /api/v1/events -d @event.json -H "X-Request-Id: 42"',
  ];
  static override args = { path: Args.string({ required: true, description: 'API path, e.g. /api/v1/projects' }) };
  static override flags = {
    ...commonFlags,
    ...serverFlags,
    method: Flags.string({ char: 'X', description: 'HTTP method (default GET, or POST with --data).', helpValue: 'METHOD' }),
    data: Flags.string({ char: 'd', description: 'Request body: a string, @file, or @- for stdin.', helpValue: 'BODY' }),
    header: Flags.string({ char: 'H', description: 'Extra header "Name: value" (repeatable).', multiple: true, helpValue: 'HEADER' }),
    include: Flags.boolean({ char: 'i', description: 'Print the status line and response headers before the body.' }),
    'max-bytes': Flags.integer({ description: 'Refuse a response body larger than this.', default: DEFAULT_MAX_BYTES, min: 1 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Api);
    const session = this.openSession(flags);
    const body = flags.data === undefined ? undefined : readBody(flags.data);
    const client = new CheckedClient(session);
    const res = await client.request(args.path, {
      method: flags.method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { ...contentType(body), ...this.parseHeaders(flags.header ?? []) },
      body,
      maxBytes: flags['max-bytes'],
    });
    if (flags.include) this.out(formatHttpHead(res));
    // The body is the data the user asked for (like curl or gh api): byte for byte, the one raw write.
    process.stdout.write(res.body);
    const ok = res.status >= 200 && res.status < 300;
    if (!ok && res.status !== 426) {
      const retryAfter = res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers) : null;
      this.err(formatApiStatus(this.config.bin, args.path, res.status, retryAfter));
    }
    const passive = await client.finish();
    if (passive.warning) this.warnPassive(passive.warning);
    if (res.status === 426) this.setExit(ExitCode.Incompatible);
    else if (!ok) this.setExit(ExitCode.Unchecked);
    else if (passiveFails(passive)) this.setExit(ExitCode.Incompatible);
  }
}

function readBody(data: string): string | Buffer {
  if (data === '@-') return readFileSync(0);
  return data.startsWith('@') ? readFileSync(data.slice(1)) : data;
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
