/** A problem the operator can fix: a clear message, the fix, and the exit code the CLI uses. */
export class ReferenceServerError extends Error {
  readonly remedy: string;
  /** 2 for bad input (flags, files), 1 for anything else. */
  readonly exitCode: number;

  constructor(message: string, remedy: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReferenceServerError';
    this.remedy = remedy;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** The message of anything thrown, without its stack. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
