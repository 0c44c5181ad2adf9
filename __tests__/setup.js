// Adds cdktf's matchers (toHaveResource, toHaveResourceWithProperties, ...) to jest's expect.
// `Testing.setupJest()` does only this; requiring its adapter (cdktf 0.21's lib/testing/adapters/jest)
// rather than the `cdktf` index spares test files that never synthesize (CLIs, release, review) the
// cost of loading all of cdktf once per file.
require('cdktf/lib/testing/adapters/jest').setupJest();

// cdktf records a creation stack trace for every token (Error.captureStackTrace on a plain object, used
// only in messages about tokens that fail to resolve). Under jest every one of them is formatted through
// jest's source-map stack formatter, which made that bookkeeping over half of all test time. Keep jest's
// formatting for real errors; give cdktf's bookkeeping objects an empty stack.
const formatError = Error.prepareStackTrace;
Error.prepareStackTrace = function prepareStackTrace(error, frames) {
  if (!(error instanceof Error)) return '';
  return formatError ? formatError(error, frames) : `${error.name}: ${error.message}${frames.map((frame) => `\n    at ${frame}`).join('')}`;
};
