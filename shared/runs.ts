/**
 * Splits `items`, in order, into consecutive runs: the next item starts a new run when `fits(run, next)`
 * says it does not fit the current one (a run's first item always fits). For packing work into calls
 * with limits, such as PutEvents entries or TransactWriteItems writes.
 */
export function runsThatFit<T>(items: Iterable<T>, fits: (run: readonly T[], next: T) => boolean): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  for (const item of items) {
    if (run.length > 0 && !fits(run, item)) {
      runs.push(run);
      run = [];
    }
    run.push(item);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** `work` over every item, at most `concurrency` at a time; the results in the items' order. */
export async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
