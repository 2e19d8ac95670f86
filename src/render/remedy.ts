import { envName } from '../env.js';
import type { HandshakeError } from '../errors.js';
import type { FlagName, Hint, RemedyContext, Source } from '../hint.js';
import { shellCommand } from '../matrix/templates.js';
import { optionName, optionText } from '../option.js';

/**
 * handshake's own words, for an SDK caller that names no host: `handshake server upgrade`, `HANDSHAKE_TOKEN`.
 * A command always passes its host's context (its bin, its variable prefix, the server it checked).
 */
export const OWN_WORDS: RemedyContext = { bin: 'handshake', envPrefix: 'HANDSHAKE' };

/**
 * The words for an SDK caller that passes no context (docs/embedding.md): what to pass is an option of the call
 * (`{ server: 'https://…' }`), not a flag; commands to run are handshake's own.
 */
export const SDK_WORDS: RemedyContext = { ...OWN_WORDS, options: true };

/**
 * What fixes it, in words: the hint said for the host CLI (its bin, flag names, variable prefix and the server
 * that was checked), else the words it came with (a vendor's check, a step needing no host context), else null.
 * Works for a {@link HandshakeError}, a doctor check's result, anything with `hint` and/or `remedy`.
 *
 * ```ts
 * import { remedyFor } from 'handshake-compat';
 * const fix = isHandshakeError(err) ? remedyFor(err, { bin: 'acme', envPrefix: 'ACME' }) : null;
 * ```
 */
export function remedyFor(x: { hint?: Hint | null; remedy?: string | null }, ctx?: RemedyContext): string | null {
  return x.hint ? remedyText(x.hint, ctx ?? SDK_WORDS) : (x.remedy ?? null);
}

/** A report or a document: a hint with the context it is said in (`remedies`), or its remedy already said. */
export interface Said {
  hint?: Hint | null;
  remedy?: string | null;
  remedies?: RemedyContext;
}

/** The remedy of a report (its hint said for its own `remedies`) or of a document (its words). */
export function saidRemedy(x: Said): string | null {
  return remedyFor(x, x.remedies ?? OWN_WORDS);
}

/** The flag as the host spells it. */
export function flagText(ctx: Pick<RemedyContext, 'flags'>, flag: FlagName): string {
  return ctx.flags?.[flag] ?? `--${flag}`;
}

/**
 * Where a value came from, in the host's words: `--server` (an SDK caller: `{ server }`), `HANDSHAKE_SERVER` with
 * the host's prefix, the config file's current server, the bundled matrix. Without a context, an SDK caller's words
 * (docs/embedding.md "Words that are data").
 */
export function sourceText(source: Source, ctx: RemedyContext = SDK_WORDS): string {
  switch (source.kind) {
    case 'flag':
      return ctx.options ? `{ ${optionName(source.flag)} }` : flagText(ctx, source.flag);
    case 'variable':
      return envName(ctx.envPrefix, source.name);
    case 'config':
      return "the config file's current server";
    case 'bundled':
      return 'bundled';
  }
}

/**
 * An error's message in the host's words: one that names what the caller passed (`said`) names the host's flag on a
 * command line (`--to "banana" is not…`); `message` itself names an SDK call's option.
 */
export function errorMessage(err: Pick<HandshakeError, 'message'> & { said?: Hint | null }, ctx: RemedyContext = OWN_WORDS): string {
  return (err.said && remedyText(err.said, ctx)) || err.message;
}

/**
 * Words of a report (a doctor check's detail, a fact) given as data, said in the host's words; words stay as they are.
 * Without a context, an SDK caller's words (docs/embedding.md "Words that are data").
 */
export function saidText(x: string | Hint, ctx: RemedyContext = SDK_WORDS): string {
  return typeof x === 'string' ? x : (remedyText(x, ctx) ?? '');
}

/** The words that select the checked server: `--server NAME`, `--server URL`, or nothing for the current one. */
export function serverArgs(ctx: RemedyContext): string[] {
  const s = ctx.server;
  if (!s || s.kind === 'current') return [];
  return [flagText(ctx, 'server'), s.kind === 'name' ? s.name : s.url];
}

/** The remedy as one line, or null. */
export function remedyText(h: Hint | null | undefined, ctx: RemedyContext): string | null {
  if (!h) return null;
  switch (h.kind) {
    case 'run': {
      const args = (h.args ?? []).flatMap((a) => [flagText(ctx, a.flag), ...(a.value === undefined ? [] : [a.value])]);
      return shellCommand([ctx.bin, ...h.command, ...(h.forServer ? serverArgs(ctx) : []), ...args]);
    }
    case 'shell':
      return h.command;
    case 'variable': {
      const name = envName(ctx.envPrefix, h.name);
      if (h.secret) return `read -rs ${name} && export ${name}  # then paste the value; it stays out of your shell history`;
      return `export ${name}=${h.example ?? '…'}`;
    }
    case 'flag': {
      const value = h.value === undefined ? '' : h.quote ? ` "${h.value}"` : ` ${h.value}`;
      const flag = ctx.options ? optionText(h.flag, h.value) : `${flagText(ctx, h.flag)}${value}`;
      return h.text ? h.text.replace('{flag}', () => flag) : flag;
    }
    case 'source':
      return sourceText(h.source, ctx);
    case 'text':
      return h.text;
    case 'say':
      return h.text.replace(/\{(\d+)\}/g, (whole, i: string) => {
        const part = h.parts[Number(i)];
        return part ? (remedyText(part, ctx) ?? '') : whole;
      });
    case 'steps': {
      // Steps in order, "; " between them; words that lead into a command end in ": ", so what follows the
      // colon is the command alone, pasteable as it stands.
      let out = '';
      let leadIn = false;
      for (const step of h.steps) {
        const text = remedyText(step, ctx);
        if (!text) continue;
        out += out === '' ? '' : leadIn && step.kind !== 'text' && step.kind !== 'steps' ? ': ' : '; ';
        leadIn = step.kind === 'text';
        out += leadIn ? text.replace(/:$/, '') : text;
      }
      return out || null;
    }
  }
}
