import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ErrorCode, HandshakeError } from '../errors.js';

/** The user's config file: a fallback for the server URL and token. */
export const configSchema = z.object({
  server: z.string().optional(),
  token: z.string().optional(),
});
export type Config = z.output<typeof configSchema>;

/** `$XDG_CONFIG_HOME/<dirname>/config.json`, defaulting to `~/.config`. */
export function configPath(env: NodeJS.ProcessEnv, dirname = 'handshake'): string {
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, dirname, 'config.json');
}

/** Reads the config file; a missing file is an empty config, an invalid one an error naming the file. */
export function readConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new HandshakeError(ErrorCode.ConfigInvalid, `cannot read config file ${path}: ${(err as Error).message}`, {
      remedy: `Fix the permissions of ${path}, or remove it`,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HandshakeError(ErrorCode.ConfigInvalid, `config file ${path} is not valid JSON`, { remedy: `Fix or remove ${path}` });
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HandshakeError(ErrorCode.ConfigInvalid, `config file ${path}: ${issue?.path.join('.') || 'document'}: ${issue?.message}`, {
      remedy: `Fix or remove ${path}`,
    });
  }
  return parsed.data;
}
