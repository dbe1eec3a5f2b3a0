import { calendarFromData, shanghaiDate } from '@zhengming/applications';
import { historySteps, planHistory, type HistoryPlanOptions } from './seed-history';

const options: HistoryPlanOptions = {
  seed: 3,
  years: 2,
  perYear: 3000,
  until: '2026-10-31',
  calendar: calendarFromData([]),
  committees: Array.from({ length: 40 }, (_, i) => ({
    id: `c${i}`,
    code: `4401180${String(i % 4).padStart(2, '0')}${String(i + 1).padStart(3, '0')}`,
    townCode: `4401180${String(i % 4).padStart(2, '0')}`,
  })),
  types: [
    { code: 'business-premises-use', limit: 5 },
    { code: 'weather', limit: 3 },
    { code: 'guardianship', limit: 5 },
  ],
};

describe(planHistory.name, () => {
  const sut = planHistory(options);

  it('plans the same history from the same seed', () => {
    expect(planHistory(options)).toEqual(sut);
    expect(planHistory({ ...options, seed: 4 }).applications.length).not.toBe(sut.applications.length);
  });

  it('grows year on year around the requested volume, and quietens at the Spring Festival', () => {
    const inYear = (from: string, to: string) =>
      sut.applications.filter((a) => shanghaiDate(a.submittedAt) >= from && shanghaiDate(a.submittedAt) <= to).length;
    const last = inYear('2025-11-01', '2026-10-31');
    const before = inYear('2024-11-01', '2025-10-31');
    expect(last).toBeGreaterThan(options.perYear * 0.75);
    expect(last).toBeLessThan(options.perYear * 1.25);
    expect(last / before).toBeGreaterThan(1.25);
    expect(inYear('2026-02-01', '2026-02-28')).toBeLessThan(inYear('2026-03-01', '2026-03-31') * 0.7);
  });

  it('keeps every event in order and nothing after the last day', () => {
    const end = Date.parse('2026-11-01T00:00:00+08:00');
    expect(sut.strayChecks.every((at) => at.getTime() < end)).toBe(true);
    for (const a of sut.applications) {
      expect(a.createdAt.getTime()).toBeLessThan(a.submittedAt.getTime());
      let t = a.submittedAt.getTime();
      for (const s of a.supplements) {
        expect(s.requestedAt.getTime()).toBeGreaterThan(t);
        if (s.answeredAt) expect(s.answeredAt.getTime()).toBeGreaterThan(s.requestedAt.getTime());
        t = (s.answeredAt ?? s.requestedAt).getTime();
      }
      expect(a.closedAt.getTime()).toBeGreaterThanOrEqual(t);
      expect(a.closedAt.getTime()).toBeLessThanOrEqual(end);
      expect(a.clock.runningSince).toBeNull();
      if (a.outcome === 'issued') {
        expect(a.issuedAt!.getTime()).toBeGreaterThan(a.closedAt.getTime());
        expect(a.issuedAt!.getTime()).toBeLessThan(end);
        // A minute for the signing before anyone checks or revokes it.
        for (const at of [...a.checks.map((c) => c.at), ...(a.revokedAt ? [a.revokedAt] : [])]) {
          expect(at.getTime()).toBeGreaterThanOrEqual(a.issuedAt!.getTime() + 60_000);
          expect(at.getTime()).toBeLessThan(end);
        }
      } else {
        expect(a.issuedAt).toBeNull();
        expect(a.checks).toEqual([]);
      }
    }
  });

  it('decides most applications within the promised time limit, and leaves some committees silent', () => {
    const issued = sut.applications.filter((a) => a.outcome === 'issued');
    const within = issued.filter((a) => a.clock.usedWorkingDays <= a.clock.limitWorkingDays);
    expect(within.length / issued.length).toBeGreaterThan(0.88);
    expect(within.length / issued.length).toBeLessThan(1);
    const busy = new Set(sut.applications.map((a) => a.committee));
    expect(busy.size).toBeLessThan(options.committees.length);
    expect(busy.size).toBeGreaterThan(options.committees.length * 0.75);
  });
});

describe(historySteps.name, () => {
  const { applications } = planHistory(options);

  it('takes each application through its life in time order: draft, submission, supplements, one decision', () => {
    for (const a of applications) {
      const sut = historySteps(a);
      const times = sut.map((step) => step.at.getTime());
      expect(times).toEqual([...times].sort((x, y) => x - y));
      expect(sut.slice(0, 2).map((step) => step.kind)).toEqual(['draft', 'submit']);
      const decisions = sut.filter((step) => ['approve', 'reject', 'withdraw'].includes(step.kind));
      expect(decisions).toEqual([
        { at: a.closedAt, kind: { issued: 'approve', rejected: 'reject', withdrawn: 'withdraw' }[a.outcome] },
      ]);
      const rounds = sut.filter((step) => step.kind === 'request_supplement' || step.kind === 'resubmit');
      expect(rounds.length).toBe(a.supplements.length + a.supplements.filter((s) => s.answeredAt).length);
    }
  });

  it('issues only what was approved, and checks and revokes only after issuing', () => {
    for (const a of applications) {
      const kinds = historySteps(a).map((step) => step.kind);
      const issue = kinds.indexOf('issue');
      expect(issue >= 0).toBe(a.outcome === 'issued');
      expect(kinds.filter((k) => k === 'check').length).toBe(a.checks.length);
      expect(kinds.includes('revoke')).toBe(a.revokedAt !== null);
      kinds.forEach((kind, i) => {
        if (kind === 'check' || kind === 'revoke') expect(i).toBeGreaterThan(issue);
      });
    }
  });
});
