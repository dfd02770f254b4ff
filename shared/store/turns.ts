/**
 * This process's commits to one model, one at a time. A change waits here for the ones ahead of it
 * instead of colliding with them, then re-reads a model they have finished with. It orders one
 * process only: a Lambda process serves one request at a time, so there other processes still
 * contend, and the commit engine's retry policy spreads them.
 */
export class Turns {
  private readonly last = new Map<string, Promise<void>>();

  /** Runs `work` once every earlier turn for `key` has ended; `waited` says whether there was one. */
  async take<T>(key: string, work: (waited: boolean) => Promise<T>): Promise<T> {
    const ahead = this.last.get(key);
    let finished!: () => void;
    const mine = new Promise<void>((resolve) => (finished = resolve));
    const queue = ahead ? ahead.then(() => mine) : mine;
    this.last.set(key, queue);
    try {
      await ahead;
      return await work(ahead !== undefined);
    } finally {
      finished();
      // The last in line clears the key, so a process that touches many models keeps no entry per model.
      if (this.last.get(key) === queue) this.last.delete(key);
    }
  }
}
