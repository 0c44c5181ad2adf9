// Synth speed: cdktf's per-token creation stack traces, which nothing but error messages reads.
import { types } from 'node:util';
/**
 * cdktf records a creation stack trace for every token it makes (`Error.captureStackTrace` on a plain
 * object, at unlimited depth, formatted at once), used only to say where a token came from when it
 * fails to resolve. That bookkeeping is a quarter of a synth's time and much of its memory, growing
 * with every service. This gives those plain objects an empty stack without walking the stack at all
 * (`Error.captureStackTrace` on a target that is not an Error sets `stack = ''`), and keeps V8's
 * public `Error.prepareStackTrace` hook answering '' for any such object captured another way; real
 * errors are captured and formatted exactly as before. `CDKTF_TOKEN_STACKS=1` keeps the traces, for
 * debugging a token that does not resolve.
 */
/** On the replaced `Error.captureStackTrace`: V8's own (what a test restores for plain Node). */
export const WRAPPED = Symbol.for('skipTokenCreationStacks.captureStackTrace');

export function skipTokenCreationStacks(env: NodeJS.ProcessEnv = process.env): void {
  if (env.CDKTF_TOKEN_STACKS === '1') return;
  const capture = Error.captureStackTrace;
  if (WRAPPED in capture) return; // already skipped
  Error.captureStackTrace = Object.assign(
    function captureStackTrace(target: object, constructorOpt?: Function): void {
      // Errors of another realm (jest's sandbox vs Node's own) are Errors too; without a constructorOpt
      // the frames start above this wrapper, as they would above V8's own function.
      if (target instanceof Error || types.isNativeError(target)) return capture(target, constructorOpt ?? captureStackTrace);
      (target as { stack?: string }).stack = '';
    },
    { [WRAPPED]: (capture as { [WRAPPED]?: typeof capture })[WRAPPED] ?? capture },
  );
  const formatError = Error.prepareStackTrace;
  Error.prepareStackTrace = function prepareStackTrace(error: unknown, frames: NodeJS.CallSite[]): unknown {
    if (!(error instanceof Error || types.isNativeError(error))) return '';
    return formatError ? formatError(error, frames) : `${error.name}: ${error.message}${frames.map((frame) => `\n    at ${frame}`).join('')}`;
  };
}
