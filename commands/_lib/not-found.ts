import type { Hook } from '@oclif/core';
import { ErrorCode, HandshakeError } from '../../src/errors.js';
import { redactText } from '../../src/url.js';
import { printOutsideCommand } from './base.js';
import { hostBranding } from './branding.js';
import { suggestCommand } from './suggest.js';

/**
 * oclif's `command_not_found` hook: a mistyped command is a usage error (exit 2) that names the command it
 * most likely meant, in the CLI's own words (`handshake compat check`, topics separated by spaces), and
 * under `--json` the contract's error document on stdout. No prompt: the same answer on a TTY and in CI.
 */
const hook: Hook<'command_not_found'> = async (opts) => {
  const { config, id } = opts;
  const argv = opts.argv ?? [];
  const words = (s: string) => s.replaceAll(':', ' ');
  const visible = config.commands.filter((c) => !c.hidden).map((c) => c.id);
  const meant = suggestCommand(id, visible);
  const typed = words(id);
  const topic = id.includes(':') ? id.split(':').slice(0, -1).join(':') : '';
  const helpFor = meant ?? (topic && config.findTopic(topic) ? topic : '');
  const err = new HandshakeError(
    ErrorCode.Usage,
    redactText(`no such command: ${config.bin} ${typed}${meant ? `; did you mean ${config.bin} ${words(meant)}?` : ''}`),
    { remedy: `See ${config.bin}${helpFor ? ` ${words(helpFor)}` : ''} --help` },
  );
  printOutsideCommand(err, { json: argv.includes('--json'), bin: config.bin, envPrefix: hostBranding(config).envPrefix });
};

export default hook;
