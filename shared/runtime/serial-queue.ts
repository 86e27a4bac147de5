/**
 * Runs async tasks one at a time, in the order they were queued; a failed
 * task fails only its own caller. Changes go through one of these wherever
 * their order is their meaning (plans, saves, generation blocks).
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything queued so far has settled. */
  async drain(): Promise<void> {
    await this.tail;
  }
}
