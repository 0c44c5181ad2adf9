// synthesizeApp: every construct validation runs, nothing is written when one fails, and stacks with
// `moved` blocks synthesize without cdktf spawning `terraform version` once per stack.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { App, TerraformStack } from 'cdktf';
import { ConstructValidationError, newApp, synthesizeApp } from '../src/app-synth';
import { movedFromSibling } from '../src/lib/moved';
import { skipTokenCreationStacks, WRAPPED } from '../src/lib/token-stacks';
import { runInNewContext } from 'node:vm';

function outdir(): string {
  return mkdtempSync(join(tmpdir(), 'app-synth-'));
}

/** A stack with one resource that moved from another construct ID (cdktf then wants terraform >= 1.5). */
function stackWithMove(app: App): TerraformStack {
  const stack = new TerraformStack(app, 'moves');
  new AwsProvider(stack, 'aws', { region: 'ap-northeast-1' });
  movedFromSibling(new SnsTopic(stack, 'alarms', { name: 'alarms' }), 'alarm-topic');
  return stack;
}

describe('synthesizeApp', () => {
  it('writes stacks with moved blocks without running `terraform version` (cdktf\'s own synth runs it per stack)', () => {
    // cdktf's version check runs `execSync("terraform version")`: count those calls.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, not an interop copy
    const execSync = jest.spyOn(require('child_process') as typeof import('child_process'), 'execSync').mockImplementation(() => Buffer.from('Terraform v1.11.4\n'));
    try {
      const dir = outdir();
      const app = newApp({ outdir: dir });
      stackWithMove(app);
      synthesizeApp(app);
      const stack = JSON.parse(readFileSync(join(dir, 'stacks', 'moves', 'cdk.tf.json'), 'utf8'));
      expect(stack.moved).toEqual([expect.objectContaining({ to: 'aws_sns_topic.alarms' })]);
      expect(execSync).not.toHaveBeenCalled();

      // The same app through cdktf's validating synth spawns it.
      const plain = new App({ outdir: outdir() });
      stackWithMove(plain);
      plain.synth();
      expect(execSync).toHaveBeenCalledWith('terraform version', expect.anything());
    } finally {
      execSync.mockRestore();
    }
  });

  it('runs every construct\'s validations and writes nothing when one fails', () => {
    const dir = outdir();
    const app = newApp({ outdir: dir });
    const stack = new TerraformStack(app, 'invalid');
    new AwsProvider(stack, 'aws', { region: 'ap-northeast-1' });
    const topic = new SnsTopic(stack, 'topic', { name: 'topic' });
    topic.node.addValidation({ validate: () => ['topic names must say what alarms on them'] });

    let error: unknown;
    try {
      synthesizeApp(app);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConstructValidationError);
    expect((error as ConstructValidationError).problems).toEqual(['[invalid/topic] topic names must say what alarms on them']);
    expect(existsSync(join(dir, 'manifest.json'))).toBe(false);
    // cdktf's own checks run too (here: a stack without the provider its resources need).
    const unprovided = newApp({ outdir: outdir() });
    new SnsTopic(new TerraformStack(unprovided, 'unprovided'), 'topic', { name: 'topic' });
    expect(() => synthesizeApp(unprovided)).toThrow(/\[unprovided\] Found resources without a matching provider construct/);
    expect(existsSync(join(dir, 'stacks', 'invalid'))).toBe(false);
  });
});

describe('skipTokenCreationStacks', () => {
  const original = Error.prepareStackTrace;
  const originalCapture = Error.captureStackTrace;
  /** Plain Node, as main.ts runs: V8's own capture and formatting (jest installs a formatter, setup.js this skip). */
  const plainNode = () => {
    Reflect.deleteProperty(Error, 'prepareStackTrace');
    Error.captureStackTrace = (originalCapture as { [WRAPPED]?: typeof originalCapture })[WRAPPED] ?? originalCapture;
  };
  afterEach(() => {
    Error.prepareStackTrace = original;
    Error.captureStackTrace = originalCapture;
  });

  /** What cdktf does for every token: a stack trace captured on a plain object. */
  function tokenCreationStack(): string {
    const bookkeeping = { stack: '' };
    Error.captureStackTrace(bookkeeping);
    return bookkeeping.stack;
  }

  it('gives cdktf\'s per-token bookkeeping an empty stack and real errors their usual one', () => {
    plainNode();
    expect(tokenCreationStack()).toContain('tokenCreationStack');
    skipTokenCreationStacks({});
    expect(tokenCreationStack()).toBe('');
    const error = new Error('a real failure');
    expect(error.stack).toMatch(/^Error: a real failure\n {4}at .*app-synth\.spec\.ts/);
  });

  it('does not even walk the stack for them: no frames are collected or formatted', () => {
    plainNode();
    skipTokenCreationStacks({});
    const formatter = jest.fn(() => 'formatted');
    Error.prepareStackTrace = formatter;
    expect(tokenCreationStack()).toBe('');
    expect(formatter).not.toHaveBeenCalled();
    // a real error is still captured (Error.captureStackTrace too) and formatted
    const error = new Error('a real failure');
    Error.captureStackTrace(error);
    expect(error.stack).toBe('formatted');
    expect(formatter).toHaveBeenCalledWith(error, expect.arrayContaining([expect.objectContaining({ getFunctionName: expect.any(Function) })]));
  });

  it('captures real errors as V8 does: from the caller (not the wrapper), also errors of another realm', () => {
    plainNode();
    skipTokenCreationStacks({});
    const error = new Error('a real failure');
    (function theCaller() {
      Error.captureStackTrace(error);
    })();
    expect(error.stack).toMatch(/^Error: a real failure\n {4}at theCaller /);
    const foreign = runInNewContext('new Error("from another realm")') as Error;
    Error.captureStackTrace(foreign);
    expect(foreign.stack).toMatch(/^Error: from another realm\n {4}at /);
  });

  it('a second call changes nothing (synthesizeEnvironments calls it, and so may its caller)', () => {
    plainNode();
    skipTokenCreationStacks({});
    const [capture, format] = [Error.captureStackTrace, Error.prepareStackTrace];
    skipTokenCreationStacks({});
    expect([Error.captureStackTrace, Error.prepareStackTrace]).toEqual([capture, format]);
  });

  it('keeps them with CDKTF_TOKEN_STACKS=1 (debugging a token that does not resolve)', () => {
    plainNode();
    skipTokenCreationStacks({ CDKTF_TOKEN_STACKS: '1' });
    expect(tokenCreationStack()).toContain('tokenCreationStack');
  });
});
