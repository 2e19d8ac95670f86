import type { InstallMethod } from '../matrix/schema.js';

/**
 * How this CLI was installed, from where its files live (pure: the caller
 * passes the resolved real path of the running package).
 * Falls back to npm, the documented install method.
 */
export function detectInstallMethod(packagePath: string): InstallMethod {
  const p = packagePath.replace(/\\/g, '/');
  if (p.includes('/_npx/')) return 'npx';
  if (/\/(Cellar|homebrew|linuxbrew)\//i.test(p)) return 'homebrew';
  if (/\/(pnpm|\.pnpm)(\/|$)|\/pnpm-global\//.test(p)) return 'pnpm';
  if (/\/yarn\/global\/|\/\.yarn\/|\/\.config\/yarn\//.test(p)) return 'yarn';
  if (p.includes('/node_modules/')) return 'npm';
  if (/\/(\.local\/share|\.cache)\/[^/]+\/client\b|\/usr\/local\/lib\/[^/]+\/bin\b/.test(p)) return 'standalone';
  return 'npm';
}
