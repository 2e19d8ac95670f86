// Types for wrap-ansi 7 (the version @oclif/core depends on, so the bundle holds one copy; it ships no types).
declare module 'wrap-ansi' {
  interface Options {
    /** Cut words longer than the columns (default false: a long word stays whole, over the width). */
    hard?: boolean;
    /** Wrap at word boundaries (default true). */
    wordWrap?: boolean;
    /** Trim the whitespace at the ends of each line (default true). */
    trim?: boolean;
  }
  export default function wrapAnsi(input: string, columns: number, options?: Options): string;
}
