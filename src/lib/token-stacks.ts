// Synth speed: cdktf's per-token creation stack traces, which nothing but error messages reads.
/**
 * cdktf records a creation stack trace for every token it makes (`Error.captureStackTrace` on a plain
 * object, at unlimited depth, formatted at once), used only to say where a token came from when it
 * fails to resolve. That bookkeeping is a quarter of a synth's time and much of its memory, growing
 * with every service. This gives those plain objects an empty stack through V8's public
 * `Error.prepareStackTrace` hook and formats real errors exactly as before. `CDKTF_TOKEN_STACKS=1`
 * keeps the traces, for debugging a token that does not resolve.
 */
export function skipTokenCreationStacks(env: NodeJS.ProcessEnv = process.env): void {
  if (env.CDKTF_TOKEN_STACKS === '1') return;
  const formatError = Error.prepareStackTrace;
  Error.prepareStackTrace = function prepareStackTrace(error: unknown, frames: NodeJS.CallSite[]): unknown {
    if (!(error instanceof Error)) return '';
    return formatError ? formatError(error, frames) : `${error.name}: ${error.message}${frames.map((frame) => `\n    at ${frame}`).join('')}`;
  };
}
