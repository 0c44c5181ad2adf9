// One question on a terminal (the typed confirmations of production apply and release).
import { createInterface } from 'node:readline/promises';

/** The question on `input`/`output`; null when cancelled by ctrl-C (readline's 'SIGINT') or end of input. */
export async function askOnTerminal(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, question: string): Promise<string | null> {
  const terminal = createInterface({ input, output, terminal: true });
  // The terminal is in raw mode while asking: ctrl-C arrives here, not as a process signal.
  const cancel = new AbortController();
  terminal.on('SIGINT', () => cancel.abort());
  terminal.on('close', () => cancel.abort());
  try {
    return await terminal.question(question, { signal: cancel.signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') return null;
    throw error;
  } finally {
    terminal.close();
  }
}
