import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { quote } from 'shell-quote';
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

/** Something about the config file worth a warning; the SDK returns it, the command prints it (on stderr). */
export interface ConfigWarning {
  message: string;
  remedy: string | null;
}

/** Reads the config file; a missing file is an empty config, an invalid one an error naming the file. */
export function readConfig(path: string): Config {
  return readConfigFile(path).config;
}

/**
 * Reads the config file like {@link readConfig}, and also says what is unsafe
 * about it: a file holding a token that group or others may read or write
 * (mode wider than 0600) lets another user take the token, or point `server`
 * elsewhere to be handed it.
 */
export function readConfigFile(path: string): { config: Config; warnings: ConfigWarning[] } {
  const config = parseConfigFile(path);
  const warnings: ConfigWarning[] = [];
  const mode = config.token ? fileMode(path) : null;
  if (mode !== null && (mode & 0o077) !== 0) {
    warnings.push({
      message: `config file ${path} holds a token but its mode is ${mode.toString(8).padStart(4, '0')}, wider than 0600: other users can read or change it`,
      remedy: `chmod 600 ${quote([path])}`,
    });
  }
  return { config, warnings };
}

/** The permission bits of a file, or null where they mean nothing (Windows) or cannot be read. */
function fileMode(path: string): number | null {
  if (process.platform === 'win32') return null;
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return null;
  }
}

function parseConfigFile(path: string): Config {
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
