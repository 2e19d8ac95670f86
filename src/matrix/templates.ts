import { quote } from 'shell-quote';
import { INSTALL_METHODS, type InstallMethod, type MatrixDocument, type ServerSteps } from './schema.js';

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

/**
 * The install method a remedy uses for a CLI installed with `method`: that one when the vendor ships a template
 * for it, else the first the vendor ships (npx last: it runs a CLI, it does not install one). A method without a
 * template is never suggested (docs/matrix.md, `cli.install`).
 */
export function shippedInstallMethod(doc: MatrixDocument, method: InstallMethod): InstallMethod {
  const shipped = (m: InstallMethod) => doc.cli.install[m] !== undefined;
  if (shipped(method)) return method;
  return INSTALL_METHODS.find((m) => m !== 'npx' && shipped(m)) ?? 'npx';
}

/** The command that installs `version` of this CLI for an install method, from the matrix's templates (see {@link shippedInstallMethod}). */
export function cliInstallCommand(doc: MatrixDocument, method: InstallMethod, version: string): string {
  // The schema requires at least one template; a document built by hand without one gets the npm command.
  const template = doc.cli.install[shippedInstallMethod(doc, method)] ?? 'npm install -g {package}@{version}';
  return fillTemplate(template, {
    package: doc.cli.package,
    bin: doc.cli.bin,
    version,
    formula: doc.cli.homebrew_formula ?? doc.cli.package,
  });
}

/** The server steps for a deployment kind (own keys only), else the generic ones; and which templates they are. */
export function stepsFor(matrix: MatrixDocument, kind: string | null): { steps: ServerSteps; templates: string } {
  if (kind !== null && Object.hasOwn(matrix.server.deployments, kind)) {
    const steps = matrix.server.deployments[kind];
    if (steps) return { steps, templates: kind };
  }
  return { steps: matrix.server.generic, templates: 'generic' };
}

/** The restore templates for a deployment kind (the generic ones when it has none). */
export function restoreTemplates(matrix: MatrixDocument, kind: string | null): readonly string[] {
  return stepsFor(matrix, kind).steps.restore ?? matrix.server.generic.restore ?? [];
}

/**
 * The one way restore commands are said, by the verdict and the upgrade alike: `backupFile` is the
 * dated file a hop backed up to, or `BACKUP_FILE` where the file is the server's (its logs name it).
 */
export function restoreCommands(matrix: MatrixDocument, kind: string | null, backupFile = 'BACKUP_FILE'): string[] {
  return restoreTemplates(matrix, kind).map((tpl) => fillTemplate(tpl, { bin: matrix.cli.bin, backup_file: backupFile }));
}
