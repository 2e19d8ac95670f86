import { configPath, loadConfig, namedServers } from '../config/config.js';
import { parseServerUrl } from '../url.js';
import { type CompatReport, checkServer, compatDocument, type Session } from './session.js';

/** One configured server's verdict. */
export interface FleetReport extends CompatReport {
  name: string;
}

/**
 * `compat check --all`: every configured server checked concurrently, in name
 * order. Each server gets only its own token from the config file: the
 * environment's token is never sent to a whole fleet.
 */
export async function checkFleet(session: Session, product = 'handshake', options: { signal?: AbortSignal } = {}): Promise<FleetReport[]> {
  const { config } = loadConfig(configPath(session.env, product));
  const entries = Object.entries(namedServers(config)).sort(([a], [b]) => a.localeCompare(b));
  return Promise.all(
    entries.map(async ([name, entry]) => {
      const one: Session = { ...session, server: { url: parseServerUrl(entry.url), token: entry.token ?? null }, serverName: name };
      return { name, ...compatDocument(await checkServer(one, options)) };
    }),
  );
}
