// Where a command reads its environment and writes its lines: the process for the CLIs, a recorder
// in tests (which then run the command in-process, without starting Node again).
export interface CommandIo {
  readonly env: NodeJS.ProcessEnv;
  /** Relative paths in messages are relative to this directory. */
  readonly cwd: string;
  /** A progress or result line (stdout). */
  readonly log: (line: string) => void;
  /** A problem line (stderr). */
  readonly error: (line: string) => void;
}

export function processIo(): CommandIo {
  return { env: process.env, cwd: process.cwd(), log: (line) => console.log(line), error: (line) => console.error(line) };
}
