import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Interfaces } from '@oclif/core';
import { envPrefixFor } from '../../src/env.js';
import { isMounted } from '../../src/session/mounted.js';

/** What a host CLI brands: its variable prefix, its product name for paths and User-Agent, its matrix. */
export interface Branding {
  envPrefix: string;
  product: string;
  /**
   * The host's `compat.json`: `handshake.compat` in its package.json, else `compat.json` at its root. Mounted in
   * another CLI, where it should be even when it is not there (the resolution says so, and never falls back to
   * handshake's bundled example matrix).
   */
  defaultCompatFile?: string;
}

export { envPrefixFor };

export function hostBranding(config: Interfaces.Config): Branding {
  const pjson = config.pjson as { handshake?: { compat?: string } };
  const declared = pjson.handshake?.compat;
  const candidate = declared ? resolve(config.root, declared) : join(config.root, 'compat.json');
  return {
    envPrefix: envPrefixFor(config.bin),
    product: config.bin,
    defaultCompatFile: declared || isMounted({ bin: config.bin }) || existsSync(candidate) ? candidate : undefined,
  };
}
