/** The reference server as a library, for tests and the demo: start it, migrate it, inspect its data directory. */
export { type RunningServer, type ServerOptions, startServer } from './app.js';
export { main } from './cli.js';
export { appliedRevision, lastRun, migrationStatus, openDatabase } from './data-dir.js';
export { ReferenceServerError } from './errors.js';
export { type MigrateOptions, type MigrateResult, migrate } from './migrate.js';
export { defaultMigrationsDir, loadMigrations, type Migration, releaseMigrations, releaseOf } from './migrations.js';
export {
  killAllNow,
  launcherPath,
  lines,
  type RunResult,
  runReferenceServer,
  type ServeLine,
  type ServerProcess,
  spawnServe,
  stopAll,
} from './process.js';
