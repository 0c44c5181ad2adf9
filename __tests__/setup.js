// Adds cdktf's matchers (toHaveResource, toHaveResourceWithProperties, ...) to jest's expect.
// `Testing.setupJest()` does only this; requiring its adapter (cdktf 0.21's lib/testing/adapters/jest)
// rather than the `cdktf` index spares test files that never synthesize (CLIs, release, review) the
// cost of loading all of cdktf once per file.
require('cdktf/lib/testing/adapters/jest').setupJest();

// cdktf's per-token creation stacks would each go through jest's source-map stack formatter: over
// half of all test CPU. Real errors keep jest's formatting (src/lib/token-stacks.ts).
require('../src/lib/token-stacks').skipTokenCreationStacks();
