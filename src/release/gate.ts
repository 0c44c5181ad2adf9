// The production gate of the release tool: outside CI (env CI != "true"), releasing to an environment
// with `production: true` asks the operator to type the environment's name on a terminal; without a
// terminal it is refused unless --yes (pipelines pass --yes after their own approval step).
import { createInterface } from 'node:readline/promises';
import type { ReleaseRequest } from './input';

/** Asks one question on the terminal; undefined when there is no terminal to ask on. */
export type Confirm = (question: string) => Promise<string | undefined>;

export const terminalConfirm: Confirm = async (question) => {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
};

/** Undefined when the release may go ahead; otherwise the one-line reason it may not (exit 2). */
export async function productionGate(request: ReleaseRequest, env: NodeJS.ProcessEnv, confirm: Confirm): Promise<string | undefined> {
  if (!request.env.production || request.target.kind === 'status' || request.yes || env.CI === 'true') return undefined;
  const name = request.env.name;
  const typed = await confirm(`${name} is a PRODUCTION environment. Type its name (${name}) to release ${request.service.name}: `);
  if (typed === undefined) {
    return `${name} is a production environment: outside CI (CI=true) a release needs the environment's name typed on a terminal; pass --yes to release without asking`;
  }
  if (typed.trim() !== name) return `${name} is a production environment and ${JSON.stringify(typed.trim())} is not its name: nothing released`;
  return undefined;
}
