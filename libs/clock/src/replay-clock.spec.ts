import { ReplayClock } from './replay-clock';

describe(ReplayClock.name, () => {
  const sut = new ReplayClock();
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('tells the moment it was set to, running on from there', async () => {
    const moment = new Date('2024-05-06T09:30:00+08:00');
    const [first, later] = await sut.at(moment, async () => {
      const first = sut.now();
      await pause(30);
      return [first, sut.now()];
    });
    expect(first.getTime() - moment.getTime()).toBeLessThan(20);
    expect(later.getTime() - first.getTime()).toBeGreaterThanOrEqual(25);
    expect(later.getTime() - moment.getTime()).toBeLessThan(1000);
  });

  it('keeps the moments of flows that run side by side apart', async () => {
    const moments = ['2023-01-02T10:00:00Z', '2025-12-31T03:00:00Z', '2024-07-01T00:00:00Z'].map((s) => new Date(s));
    const seen = await Promise.all(
      moments.map((moment, i) =>
        sut.at(moment, async () => {
          await pause(10 * (3 - i));
          return sut.now();
        }),
      ),
    );
    seen.forEach((now, i) => expect(Math.abs(now.getTime() - moments[i].getTime())).toBeLessThan(1000));
  });

  it('refuses to tell the time outside a moment, rather than let a record slip into the present', () => {
    expect(() => sut.now()).toThrow(/no moment set/);
  });
});
