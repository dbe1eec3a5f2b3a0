import { runInTimeOrder } from './history-schedule';

interface Step {
  at: Date;
  name: string;
}

/** Flows whose steps interleave in time: flow i steps at i, i + 10, i + 20, … minutes. */
function flows(count: number, steps: number): Step[][] {
  return Array.from({ length: count }, (_, i) =>
    Array.from({ length: steps }, (_, k) => ({ at: new Date(Date.UTC(2024, 0, 1, 0, i + 10 * k)), name: `${i}.${k}` })),
  );
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(runInTimeOrder.name, () => {
  it('runs the steps of all flows in the order of their times, one at a time', async () => {
    const started: string[] = [];
    const all = flows(5, 3);
    await runInTimeOrder<Step[], Step>({
      flows: [...all].reverse(),
      startOf: (flow) => flow[0].at,
      stepsOf: (flow) => flow,
      run: async (_flow, step) => void started.push(step.name),
      concurrency: 1,
    });
    const expected = all.flat().sort((a, b) => a.at.getTime() - b.at.getTime());
    expect(started).toEqual(expected.map((step) => step.name));
  });

  it('runs several flows at once, never two steps of one flow, each flow in its order', async () => {
    const log: string[] = [];
    const busy = new Set<Step[]>();
    let most = 0;
    await runInTimeOrder<Step[], Step>({
      flows: flows(12, 4),
      startOf: (flow) => flow[0].at,
      stepsOf: (flow) => flow,
      run: async (flow, step) => {
        expect(busy.has(flow)).toBe(false);
        busy.add(flow);
        most = Math.max(most, busy.size);
        await pause(1 + (step.at.getMinutes() % 4));
        log.push(step.name);
        busy.delete(flow);
      },
      concurrency: 3,
    });
    expect(most).toBe(3);
    expect(log).toHaveLength(48);
    for (let i = 0; i < 12; i++) {
      expect(log.filter((name) => name.startsWith(`${i}.`))).toEqual([0, 1, 2, 3].map((k) => `${i}.${k}`));
    }
  });

  it('stops at the first failure: no further step starts, and the failure is what it throws', async () => {
    const started: string[] = [];
    const sut = runInTimeOrder<Step[], Step>({
      flows: flows(4, 3),
      startOf: (flow) => flow[0].at,
      stepsOf: (flow) => flow,
      run: async (_flow, step) => {
        started.push(step.name);
        await pause(2);
        if (step.name === '1.1') throw new Error('the service refused');
      },
      concurrency: 2,
    });
    await expect(sut).rejects.toThrow('the service refused');
    expect(started).not.toContain('3.2');
    expect(started.length).toBeLessThan(12);
  });
});
