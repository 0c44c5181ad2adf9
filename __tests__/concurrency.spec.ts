// limiter(n): plan and apply run at most n terraform processes at once, the rest in the order they asked.
import { limiter } from '../src/terraform/concurrency';

/** A task the test finishes by hand, recording when it started. */
function controlled(started: string[], name: string) {
  let finish!: (value: string) => void;
  let fail!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { task: () => (started.push(name), done), finish: () => finish(name), fail: () => fail(new Error(`${name} failed`)) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('limiter', () => {
  it('runs at most n tasks at once and starts the others in the order they asked, as slots free up', async () => {
    const started: string[] = [];
    const limit = limiter(2);
    const tasks = ['a', 'b', 'c', 'd'].map((name) => controlled(started, name));
    const results = tasks.map((t) => limit(t.task));
    await settle();
    expect(started).toEqual(['a', 'b']);
    tasks[1].finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    tasks[0].finish();
    tasks[2].finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    tasks[3].finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a task that fails gives its slot to the next one and rejects with its own error', async () => {
    const started: string[] = [];
    const limit = limiter(1);
    const [first, second] = ['a', 'b'].map((name) => controlled(started, name));
    const failing = limit(first.task);
    const next = limit(second.task);
    await settle();
    expect(started).toEqual(['a']);
    first.fail();
    await expect(failing).rejects.toThrow('a failed');
    await settle();
    expect(started).toEqual(['a', 'b']);
    second.finish();
    await expect(next).resolves.toBe('b');
  });

  it('refuses a limit that is not a whole number of at least 1', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => limiter(bad)).toThrow(RangeError);
  });
});
