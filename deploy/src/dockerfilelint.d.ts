// dockerfilelint ships no types; this is the part of its API the lint uses.
declare module 'dockerfilelint' {
  /** Lints Dockerfile text with the rules of `<configDir>/.dockerfilelintrc` (defaults when absent). */
  export function run(
    configDir: string,
    content: string,
  ): Array<{ title: string; description: string; category: string; line: number; rule: string }>;
}
