import { Args, Flags } from '@oclif/core';
import { ErrorCode, HandshakeError, isHandshakeError } from '../../src/errors.js';
import { readUserFile, tokenFromEnv } from '../../src/input/index.js';
import type { CheckedClient } from '../../src/session/checked-client.js';
import { DEFAULT_MAX_BYTES, type HttpResponse } from '../../src/transport/request.js';
import { commonFlags, serverFlags } from './base.js';
import { headersFrom, maxBytesFlag, parseMethod } from './flags.js';
import { currentIO, type IO } from './io.js';

/** `api`'s arguments and flags. */
export const apiArgs = { path: Args.string({ required: true, description: 'API path, e.g. /api/v1/projects' }) };
export const apiFlags = {
  ...commonFlags,
  ...serverFlags,
  method: Flags.string({ char: 'X', description: 'HTTP method (default GET, or POST with --data).', helpValue: 'METHOD' }),
  data: Flags.string({ char: 'd', description: 'Request body: a string, @file, or @- for stdin.', helpValue: 'BODY' }),
  // Non-greedy: `-H 'Accept: …' /path` (gh's and curl's order) takes one value per -H, leaving the path an argument.
  header: Flags.string({
    char: 'H',
    description: 'Extra header "Name: value" (repeatable).',
    multiple: true,
    multipleNonGreedy: true,
    helpValue: 'HEADER',
  }),
  include: Flags.boolean({ char: 'i', description: 'Print the status line and response headers before the body.' }),
  'max-bytes': maxBytesFlag(DEFAULT_MAX_BYTES),
};

export interface ApiRequest {
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  maxBytes: number;
}

/** Everything the user typed or set, checked before anything is sent (or a handshake started). */
export function prepareRequest(
  flags: { method?: string; data?: string; header?: string[]; 'max-bytes': number },
  tokenVariable: string,
  io: IO = currentIO(),
): ApiRequest {
  tokenFromEnv(io.env, tokenVariable);
  const method = flags.method === undefined ? undefined : parseMethod(flags.method);
  const headers = headersFrom(flags.header ?? []);
  const body = flags.data === undefined ? undefined : readBody(flags.data, io.stdin.fd);
  return {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { ...contentType(body), ...headers },
    body,
    maxBytes: flags['max-bytes'],
  };
}

/** Sends it; a body over the limit names this command's flag (the transport only knows a number). */
export async function send(client: CheckedClient, path: string, req: ApiRequest): Promise<HttpResponse> {
  try {
    return await client.request(path, req);
  } catch (err) {
    if (!isHandshakeError(err, ErrorCode.TooLarge)) throw err;
    throw new HandshakeError(ErrorCode.TooLarge, err.message, {
      remedy: `Allow a larger answer: --max-bytes ${Math.max(req.maxBytes * 2, DEFAULT_MAX_BYTES)} (now ${req.maxBytes}), or check that --server points at the right service`,
      cause: err,
    });
  }
}

function readBody(data: string, stdinFd: number): string | Buffer {
  return data.startsWith('@') ? readUserFile(data.slice(1), 'the request body file (-d @file)', stdinFd) : data;
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
