import { namedServers } from '../config/config.js';
import { parseServerUrl } from '../url.js';
import type { FeatureNeed } from '../verdict/verdict.js';
import { type CompatReport, checkServer, type Session } from './session.js';

/** One configured server's verdict (`src/render/servers.ts` makes the rows of `compat check --all`). */
export interface FleetReport extends CompatReport {
  name: string;
}

/**
 * `compat check --all`: every configured server checked concurrently, in name order, from the config the
 * session's resolution loaded (the server a flag or variable names is not used, so a wrong one does not
 * matter). Each server gets only its own token from the config file: the environment's token is never
 * sent to a whole fleet. Each row's remedy names its own server (`--server NAME`).
 */
export async function checkFleet(
  session: Session,
  options: { signal?: AbortSignal; need?: FeatureNeed | null } = {},
): Promise<FleetReport[]> {
  const config = session.resolution.config;
  if (config.state === 'invalid') throw config.error;
  const servers = config.state === 'ok' ? namedServers(config.config) : {};
  const entries = Object.entries(servers).sort(([a], [b]) => a.localeCompare(b));
  return Promise.all(
    entries.map(async ([name, entry]) => {
      const one: Session = {
        ...session,
        server: { url: parseServerUrl(entry.url), token: entry.token ?? null },
        serverRef: { kind: 'name', name },
      };
      const { status, severity, message, hint, remedies, cli, server, features, feature } = await checkServer(one, options);
      return {
        name,
        status,
        severity,
        message,
        hint,
        remedies,
        cli,
        server,
        ...(features ? { features } : {}),
        ...(feature ? { feature } : {}),
      };
    }),
  );
}
