// The production gate of the release tool: outside CI (env CI != "true"), releasing to an environment
// with `production: true` asks the operator to type the environment's name on a terminal; without a
// terminal it is refused unless --yes (pipelines pass --yes after their own approval step).
import { askOnTerminal } from '../lib/terminal';
import type { ReleaseRequest } from './input';

/**
 * Asks one question on the terminal: the answer; undefined when there is no terminal to ask on; null
 * when the operator cancelled (ctrl-C, end of input).
 */
export type Confirm = (question: string) => Promise<string | undefined | null>;

export const terminalConfirm: Confirm = async (question) => {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const answer = await askOnTerminal(process.stdin, process.stderr, question);
  if (answer === null) process.stderr.write('\n');
  return answer;
};

/** Undefined when the release may go ahead; otherwise the one-line reason it may not (exit 2). */
export async function productionGate(request: ReleaseRequest, env: NodeJS.ProcessEnv, confirm: Confirm): Promise<string | undefined> {
  if (!request.env.production || request.target.kind === 'status' || request.yes || env.CI === 'true') return undefined;
  const name = request.env.name;
  const typed = await confirm(`${name} is a PRODUCTION environment. Type its name (${name}) to release ${request.service.name}: `);
  if (typed === undefined) {
    return `${name} is a production environment: outside CI (CI=true) a release needs the environment's name typed on a terminal; pass --yes to release without asking`;
  }
  if (typed === null) return `${name} is a production environment and the confirmation was cancelled: nothing released`;
  if (typed.trim() !== name) return `${name} is a production environment and ${JSON.stringify(typed.trim())} is not its name: nothing released`;
  return undefined;
}
