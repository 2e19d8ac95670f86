import { quote } from 'shell-quote';
import type { InstallMethod, MatrixDocument } from './schema.js';

/**
 * Fills a template from the matrix. Every value is shell-quoted as one word
 * (a safe value such as `1.4.2` stays as it is), so a value can never become
 * shell syntax. Callers validate server-supplied values before they get here.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
    const value = values[name];
    return value === undefined ? whole : quote([value]);
  });
}

/**
 * A command line built from words, each shell-quoted: for the commands
 * handshake composes itself (`handshake server status --server URL`), where a
 * word such as a URL can hold `;`, `$(…)` or `&`.
 */
export function shellCommand(words: readonly string[]): string {
  // A plain word (a URL such as https://host:8443/x) stays readable; anything else is quoted.
  return words.map((w) => (/^[A-Za-z0-9_@%+:,./-]+$/.test(w) ? w : quote([w]))).join(' ');
}

/** The command that installs `version` of this CLI for an install method, from the matrix's templates. */
export function cliInstallCommand(doc: MatrixDocument, method: InstallMethod, version: string): string {
  const template = doc.cli.install[method] ?? doc.cli.install.npm;
  return fillTemplate(template, {
    package: doc.cli.package,
    bin: doc.cli.bin,
    version,
    formula: doc.cli.homebrew_formula ?? doc.cli.package,
  });
}
