/** A flow's next step waiting for its turn, in the heap of the flows under way. */
interface Pending<F, S> {
  at: number;
  /** Ties at one instant go in the order the flows started. */
  order: number;
  flow: F;
  steps: readonly S[];
  index: number;
  /** The flow's previous step: the next one starts only once it has finished. */
  previous: Promise<void>;
}

export interface TimeOrderOptions<F, S extends { at: Date }> {
  flows: readonly F[];
  /** The time of a flow's first step: flows join in this order, and only then are their steps made. */
  startOf: (flow: F) => Date;
  /** A flow's steps, in their time order. */
  stepsOf: (flow: F) => readonly S[];
  run: (flow: F, step: S) => Promise<void>;
  /** Steps under way at once, of different flows. */
  concurrency: number;
}

/**
 * Runs the steps of many flows (the applications of a history) in the order of their times across all
 * flows, as they would have happened: up to `concurrency` at once, the steps of one flow always one
 * after another. Steps start in time order; with more than one at once, two close in time may finish
 * the other way round. Only the flows under way are kept (their steps made when they start), so a long
 * history needs memory for its busiest weeks, not for all of it. The first failure stops it: no
 * further step starts, those under way finish, and the failure is thrown.
 */
export async function runInTimeOrder<F, S extends { at: Date }>(options: TimeOrderOptions<F, S>): Promise<void> {
  const { flows, startOf, stepsOf, run, concurrency } = options;
  const starts = flows.map((flow) => startOf(flow).getTime());
  const order = flows.map((_, i) => i).sort((a, b) => starts[a] - starts[b] || a - b);
  const heap = new MinHeap<Pending<F, S>>((x, y) => x.at - y.at || x.order - y.order);
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let joined = 0;
  for (;;) {
    while (joined < order.length && (heap.size === 0 || starts[order[joined]] <= heap.peek()!.at)) {
      const flow = flows[order[joined]];
      const steps = stepsOf(flow);
      if (steps.length > 0) {
        heap.push({ at: steps[0].at.getTime(), order: joined, flow, steps, index: 0, previous: Promise.resolve() });
      }
      joined += 1;
    }
    const next = heap.pop();
    if (!next) break;
    while (running.size >= concurrency && !failure) await Promise.race(running);
    if (failure) break;
    const step = next.steps[next.index];
    const done = next.previous.then(() => run(next.flow, step));
    const tracked: Promise<void> = done
      .catch((error: unknown) => void (failure ??= { error }))
      .finally(() => running.delete(tracked));
    running.add(tracked);
    if (next.index + 1 < next.steps.length) {
      heap.push({ ...next, at: next.steps[next.index + 1].at.getTime(), index: next.index + 1, previous: done });
    }
  }
  await Promise.all(running);
  if (failure) throw failure.error;
}

/** A binary min-heap. */
class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (this.before(items[i], items[parent]) >= 0) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      for (let i = 0; ;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let least = i;
        if (left < items.length && this.before(items[left], items[least]) < 0) least = left;
        if (right < items.length && this.before(items[right], items[least]) < 0) least = right;
        if (least === i) break;
        [items[i], items[least]] = [items[least], items[i]];
        i = least;
      }
    }
    return top;
  }
}
