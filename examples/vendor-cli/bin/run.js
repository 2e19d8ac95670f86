#!/usr/bin/env node
import { execute } from '@oclif/core';
import { guardHomelessProcess } from 'handshake-compat/guard';

// A container run with --user (no passwd entry, no HOME or SHELL) must not crash oclif while it loads.
guardHomelessProcess();

await execute({ dir: import.meta.url });
