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

/** The CLIs' io: this process's environment, directory, stdout and stderr. */
export function processIo(): CommandIo {
  return { env: process.env, cwd: process.cwd(), log: (line) => console.log(line), error: (line) => console.error(line) };
}

/** Writes a block of text (e.g. a formatted review ending in a newline) line by line. */
export function logText(io: CommandIo, text: string): void {
  for (const line of text.replace(/\n$/, '').split('\n')) io.log(line);
}
