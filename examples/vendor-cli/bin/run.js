#!/usr/bin/env node
import { homedir, userInfo } from 'node:os';
import { execute } from '@oclif/core';

// As handshake's own bin: a uid with no passwd entry and no HOME or SHELL (a container run with --user)
// makes os.homedir() and os.userInfo() throw inside oclif; an empty HOME/SHELL keeps them from it.
try {
  homedir();
} catch {
  process.env.HOME = '';
}
if (process.env.SHELL === undefined) {
  try {
    userInfo();
  } catch {
    process.env.SHELL = '';
  }
}

await execute({ dir: import.meta.url });
