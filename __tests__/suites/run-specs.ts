// Why specs run in suites: jest gives every test FILE its own module registry, so each file loads and
// compiles cdktf, the provider classes and the construct library again, cold (measured: about half of
// all test CPU went there with one file per concept). A suite file runs the specs of one area
// (`__tests__/<name>.spec.ts`, one concept each) in one registry, each spec inside a describe of its
// own name, so its top-level hooks (beforeEach, afterAll, ...) still apply to its own tests only.
//
// Run one spec: `npx jest --testMatch '**/<name>.spec.ts'` (or `npx jest <suite> -t '<name>.spec'`).

/** Registers the specs `__tests__/<name>.spec.ts`, in this order, each in `describe('<name>.spec')`. */
export function runSpecs(names: readonly string[]): void {
  for (const name of names) {
    describe(`${name}.spec`, () => {
      require(`../${name}.spec`);
    });
  }
}
