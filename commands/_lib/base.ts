import { Command, Errors, type Interfaces } from '@oclif/core';
import { configPath } from '../../src/config/config.js';
import { ErrorCode, HandshakeError, isHandshakeError } from '../../src/errors.js';
import type { Hint, RemedyContext } from '../../src/hint.js';
import type { Matrix } from '../../src/matrix/load.js';
import { createSecretRedactor, type Redactor } from '../../src/redact.js';
import { ExitCode, exitCodeForError } from '../../src/render/exit-codes.js';
import { OWN_WORDS, remedyFor } from '../../src/render/remedy.js';
import { compatDocument, errorDocument, formatCompatReport, formatError, formatWarning } from '../../src/render/report.js';
import { safeJson, sanitizeOutput } from '../../src/render/sanitize.js';
import { createStyle, type Style, wantsColor } from '../../src/render/style.js';
import { FeatureUnavailableError } from '../../src/session/feature-gate.js';
import { environmentSecrets, type Resolution, resolveRun } from '../../src/session/resolve.js';
import { resolveMatrix, type Session, sessionFrom } from '../../src/session/session.js';
import { formatSeconds } from '../../src/text.js';
import { closeDefaultDispatcher } from '../../src/transport/request.js';
import { redactText } from '../../src/url.js';
import { hostBranding } from './branding.js';
import { flagValueError, headersFrom } from './flags.js';
import { currentIO, type IO } from './io.js';
import { suggestFlag } from './suggest.js';

export { commonFlags, serverFlags } from './flags.js';

/** oclif's FlagOutput and ArgOutput (the parser's output shapes), which its package does not export. */
// biome-ignore lint/suspicious/noExplicitAny: the same constraint as oclif's own, for the override to match it.
type ParsedOutput = { [name: string]: any };

/**
 * The one place that writes to the terminal and sets the exit code. Results
 * go to stdout (one JSON document with --json), warnings and errors to
 * stderr; every error maps to the contract's exit code, including under
 * --json, where oclif itself would exit 1.
 *
 * Everything printed passes through {@link BaseCommand.out} / {@link BaseCommand.err}
 * (or {@link BaseCommand.emit} for documents): every known secret is
 * redacted, and text goes through the sanitizer's last guard. The only
 * exception is `api`'s response body, which is the data the user asked for
 * and goes to stdout byte for byte.
 */
export abstract class BaseCommand extends Command {
  // oclif's JSON flag: jsonEnabled() reads --json the way oclif does, and oclif keeps its own output quiet under it.
  static override enableJsonFlag = true;

  /**
   * The features this command needs (names from the matrix's `features`; docs/matrix.md "Features"). A
   * CheckedClient of this command's session checks them before every request: a server without one ends the
   * command with `feature_unavailable` (exit 3) and nothing reaches the command's own route.
   */
  static features: readonly string[] = [];

  /** The process this run writes to and reads from (commands/_lib/io.ts): the real one, or a test's. */
  protected readonly io: IO = currentIO();
  #secrets: string[] = [];
  #redactor: Redactor = createSecretRedactor([]);
  #remedies: RemedyContext | null = null;

  override async init(): Promise<void> {
    await super.init();
    this.addSecrets(environmentSecrets(this.io.env, hostBranding(this.config).envPrefix));
  }

  /**
   * oclif's parse, marked as called even when the parser refuses the input. oclif sets `parsed` only on success,
   * and with NODE_ENV development or test (a developer's shell, a CI job running tests) a refused flag was said
   * twice: in our words (catch), then as oclif's "did not parse its arguments. Did you forget to call 'this.parse'?".
   */
  protected override async parse<F extends ParsedOutput, B extends ParsedOutput, A extends ParsedOutput>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv);
    } finally {
      this.parsed = true;
    }
  }

  /** Values that must never be printed (a session's tokens and passwords). */
  protected addSecrets(secrets: readonly string[]): void {
    this.#secrets.push(...secrets);
    this.#redactor = createSecretRedactor(this.#secrets);
  }

  /**
   * The session for this run, branded from the host CLI: when handshake is mounted as a plugin of
   * `acme`, the variables are ACME_SERVER, ACME_TOKEN…, the config and cache live under `acme`,
   * and the matrix is the host's own `compat.json`. Its secrets are redacted from everything this
   * command prints; its warnings go to stderr.
   */
  protected openSession(flags: { server?: string; timeout?: number; compat?: string }): Session {
    const session = sessionFrom(this.resolve(flags));
    const features = (this.constructor as typeof BaseCommand).features ?? [];
    if (features.length) session.need = { features, command: `${this.config.bin} ${(this.id ?? '').replaceAll(':', ' ')}`.trim() };
    for (const warning of session.warnings) this.err(formatWarning(this.config.bin, { message: warning, remedy: null }, this.errStyle));
    return session;
  }

  /**
   * The run's ONE resolution (src/session/resolve.ts), branded from the host CLI, problems recorded as
   * values. Every secret it knows is redacted from everything this command prints from here on, and
   * remedies of errors name the server it resolved.
   */
  protected resolve(flags: { server?: string; timeout?: number; compat?: string }): Resolution {
    const resolution = resolveRun({
      server: flags.server,
      timeoutMs: flags.timeout,
      compatFile: flags.compat,
      cliVersion: this.config.version,
      bin: this.config.bin,
      root: this.config.root,
      env: this.io.env,
      ...hostBranding(this.config),
    });
    this.addSecrets(resolution.secrets);
    this.#remedies = {
      bin: this.config.bin,
      envPrefix: resolution.envPrefix,
      server: resolution.server.kind === 'ok' ? resolution.server.ref : null,
    };
    return resolution;
  }

  /** The user's config file, for the commands that edit it. */
  protected configFile(): string {
    return configPath(this.io.env, hostBranding(this.config).product);
  }

  /** The matrix for commands that need no server (`compat show`). */
  protected openMatrix(flags: { compat?: string }): Matrix {
    return resolveMatrix({
      compatFile: flags.compat,
      bin: this.config.bin,
      root: this.config.root,
      env: this.io.env,
      ...hostBranding(this.config),
    });
  }

  /** Text as it may reach a terminal: secrets redacted, unsafe characters escaped, only this CLI's own colours kept. */
  protected clean(text: string, style: Style): string {
    return sanitizeOutput(this.#redactor.text(text), { keepStyle: style.color });
  }

  /** Human text on stdout. */
  protected out(text: string): void {
    this.io.stdout.write(this.clean(text, this.style));
  }

  /** Human text on stderr. */
  protected err(text: string): void {
    this.io.stderr.write(this.clean(text, this.errStyle));
  }

  /** One JSON document on stdout: secrets redacted, control and bidi characters escaped. */
  protected outJson(doc: unknown): void {
    this.io.stdout.write(`${safeJson(this.#redactor.value(doc))}\n`);
  }

  /** --json before any `--` (oclif's own reading, `jsonEnabled`; our `json` flag keeps its description). */
  protected get jsonMode(): boolean {
    return this.jsonEnabled();
  }

  protected get style(): Style {
    return createStyle(!this.jsonMode && wantsColor(this.io.stdout, this.io.env));
  }

  protected get errStyle(): Style {
    return createStyle(wantsColor(this.io.stderr, this.io.env));
  }

  /** Prints the result: `doc` as JSON under --json, else the human rendering. */
  protected emit<T>(doc: T, human: (doc: T, style: Style) => string): void {
    if (this.jsonMode) this.outJson(doc);
    else this.out(human(doc, this.style));
  }

  /** A line on stderr, never on stdout. */
  protected note(text: string): void {
    this.err(text.endsWith('\n') ? text : `${text}\n`);
  }

  /**
   * On a terminal, a wait longer than half a second says what it waits for (one line on stderr), so a
   * server that accepts and never answers does not leave a blank screen for the whole timeout. Piped or
   * in CI, nothing: the result says it all.
   */
  protected async waitingFor<T>(what: string, work: Promise<T>): Promise<T> {
    if (!this.io.stderr.isTTY) return work;
    const timer = setTimeout(() => this.note(`${this.config.bin}: waiting for ${what}…`), 500);
    timer.unref();
    try {
      return await work;
    } finally {
      clearTimeout(timer);
    }
  }

  /** What {@link waitingFor} names for one server: its URL (no credentials) and the time it has. */
  protected waitText(session: Session): string {
    const url = session.server ? redactText(session.server.url.href).replace(/\/$/, '') : 'the server';
    return `${url} (up to ${formatSeconds(session.timeoutMs)})`;
  }

  /** The passive check's one warning, after the command's output, on stderr: its fix said for the server it checked. */
  protected warnPassive(warning: { message: string; hint?: Hint | null; remedy?: string | null; remedies?: RemedyContext }): void {
    const remedy = remedyFor(warning, warning.remedies ?? this.#remedies ?? OWN_WORDS);
    this.err(formatWarning(this.config.bin, { message: warning.message, remedy }, this.errStyle));
  }

  /** Parses repeated `-H "Name: value"` flags (for a vendor's own commands): the one rule of commands/_lib/flags.ts. */
  protected parseHeaders(lines: readonly string[]): Record<string, string> {
    return headersFrom(lines);
  }

  protected setExit(code: number): void {
    this.io.exitCode = code;
  }

  override async finally(err: Error | undefined): Promise<unknown> {
    await closeDefaultDispatcher(this.io.env);
    return super.finally(err);
  }

  override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    if (err instanceof Errors.ExitError) {
      this.io.exitCode = err.oclif.exit;
      return;
    }
    if (err instanceof FeatureUnavailableError) {
      // The verdict that stopped the command before it sent anything: its document under --json, as compat check's.
      this.io.exitCode = exitCodeForError(err);
      if (this.jsonMode) this.outJson(compatDocument(err.report));
      else this.err(formatCompatReport(err.report, this.errStyle));
      return;
    }
    // oclif parses a command's flags and its baseFlags (shared flags) together, flags winning: so are they read here.
    const coded = toHandshakeError(err, this.id ?? '', this.config.bin, { ...this.ctor.baseFlags, ...this.ctor.flags });
    const exit = exitCodeForError(coded);
    this.io.exitCode = exit;
    const ctx = this.#remedies ?? { bin: this.config.bin, envPrefix: hostBranding(this.config).envPrefix };
    if (this.jsonMode) this.outJson(errorDocument(coded, ctx));
    else this.err(formatError(coded, this.errStyle, ctx));
    if (exit === ExitCode.Bug && this.io.env.DEBUG) this.err(`${redactText(err.stack ?? '')}\n`);
  }
}

/**
 * For the few places that run outside a command (oclif hooks: a mistyped command): an error through the
 * same one writer — the environment's secrets redacted, the sanitizer's last guard, the JSON error
 * document under `--json` — with the usage exit code set.
 */
export function printOutsideCommand(err: HandshakeError, options: { json: boolean; bin: string; envPrefix: string }): void {
  const io = currentIO();
  const redactor = createSecretRedactor(environmentSecrets(io.env, options.envPrefix));
  const ctx = { bin: options.bin, envPrefix: options.envPrefix };
  io.exitCode = exitCodeForError(err);
  if (options.json) io.stdout.write(`${safeJson(redactor.value(errorDocument(err, ctx)))}\n`);
  else {
    const style = createStyle(wantsColor(io.stderr, io.env));
    io.stderr.write(sanitizeOutput(redactor.text(formatError(err, style, ctx)), { keepStyle: style.color }));
  }
}

/** Whatever was thrown, as a coded error with a remedy. Flag-parser errors are usage errors. */
function toHandshakeError(
  err: Error & { oclif?: { exit?: number } },
  id: string,
  bin: string,
  flags?: Record<string, unknown>,
): HandshakeError {
  const help = `${bin} ${id.replaceAll(':', ' ')} --help`.trim();
  // A flag value oclif's parser refused (a range, a whole number): our words, naming the flag (flags.ts).
  const refused = flagValueError(err, flags, `See ${help}`);
  if (refused) return refused;
  if (isHandshakeError(err)) return err;
  if (err instanceof Errors.CLIError && (err.oclif?.exit === 2 || /flag|argument/i.test(err.message))) {
    // oclif's NonExistentFlagsError carries the unknown flags and the command's own: name the one meant.
    const { flags: unknown, parse } = err as { flags?: string[]; parse?: { input?: { flags?: Record<string, { char?: string }> } } };
    const meant = unknown?.[0] && parse?.input?.flags ? suggestFlag(unknown[0], parse.input.flags) : undefined;
    const message = meant ? `${firstLine(err.message)}; did you mean ${meant}?` : firstLine(err.message);
    return new HandshakeError(ErrorCode.Usage, message, { remedy: `See ${help}` });
  }
  return new HandshakeError(ErrorCode.Internal, `unexpected error (a bug in ${bin}): ${firstLine(redactText(err.message))}`, {
    remedy: `Run again with DEBUG=1 for details, and report it with the output of ${bin} doctor`,
  });
}

/**
 * oclif's message in one line: its first line, and where that line ends in a colon ("Missing 1 required arg:"),
 * the lines it introduces too (`dir  The migrations directory` → `dir (The migrations directory)`), so the
 * error names what is missing; never oclif's notes or its "See more help" (the remedy says where help is).
 */
function firstLine(s: string): string {
  const lines = s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^See more help/i.test(l));
  const [head = s.trim(), ...rest] = lines;
  // The introduced lines are `name  description` (two spaces or more between); oclif's notes after them are not.
  const end = rest.findIndex((l) => !/^\S+\s{2,}\S/.test(l));
  const items = (end < 0 ? rest : rest.slice(0, end)).map((l) => l.replace(/^(\S+)\s{2,}(.+)$/, '$1 ($2)'));
  return head.endsWith(':') && items.length ? `${head} ${items.join(', ')}` : head;
}
