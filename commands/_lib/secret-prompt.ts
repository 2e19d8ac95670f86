import { ErrorCode, HandshakeError } from '../../src/errors.js';
import { currentIO } from './io.js';

/**
 * Reads one line from a terminal without echoing it (a token typed or pasted): the prompt said
 * through `say` (the command's stderr writer), the terminal in raw mode so nothing typed is shown, Enter ends it, Backspace edits it,
 * Ctrl-C aborts (the caller exits 130) and Ctrl-D on an empty line ends it empty. The terminal is
 * put back however it ends.
 */
export function readSecretLine(
  prompt: string,
  say: (text: string) => void,
  stdin: NodeJS.ReadStream = currentIO().stdin.stream,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    // Echo off before the prompt shows: a token typed the moment it appears is never echoed.
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    say(prompt);
    const done = (err: Error | null) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      say('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new HandshakeError(ErrorCode.Aborted, 'interrupted: no token was stored'));
        if (ch === '\u0004') {
          if (value === '') return done(null);
          continue;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch === '\u0015')
          value = ''; // Ctrl-U: the line so far
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
