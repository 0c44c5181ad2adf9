// At most n tasks at once, the rest started in the order they asked (plan runs several terraform
// processes at once, but not more than the machine and the AWS API rate limits take).

/** Runs a task when fewer than `n` run; resolves or rejects with it. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function limiter(n: number): Limiter {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`limiter: expected a whole number >= 1, got ${n}`);
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      // The slot passes to the next waiting task as is (running unchanged), else it is freed.
      if (waiting.length > 0) waiting.shift()!();
      else running--;
    }
  };
}

/**
 * The values of `tasks` in their order, once every one has settled (none is left running, e.g. no
 * terraform process outlives a run that failed); rejects with the first rejection.
 */
export async function settleAll<T>(tasks: Array<Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(tasks);
  const thrown = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (thrown) throw thrown.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
