import { type Answer, samePath } from './http.js';
import type { MigrationController, MigrationProgress } from './migrations.js';

/** The body of a 503 in maintenance mode (docs/protocol.md §1.7). */
export interface MaintenanceBody {
  error: 'migrating';
  message: string;
  migration_progress: MigrationProgress | null;
}

/**
 * The 503 a request deserves while a migration run is going, or null. The
 * version endpoint and the admin endpoint are never refused: the first is
 * how progress is read, the second answers 409 itself.
 */
export function maintenanceAnswer(
  controller: MigrationController | null,
  path: string,
  exempt: readonly string[],
): Answer<MaintenanceBody> | null {
  if (!controller?.running()) return null;
  if (exempt.some((p) => samePath(path, p))) return null;
  const progress = controller.state().progress;
  return {
    status: 503,
    headers: { 'retry-after': String(controller.retryAfterSeconds), 'cache-control': 'no-store' },
    body: {
      error: 'migrating',
      message: progress
        ? `The server is applying its migrations (${progress.applied} of ${progress.total} done)`
        : 'The server is applying its migrations',
      migration_progress: progress,
    },
  };
}
