import {
  APPLICATION_ACTIONS,
  APPLICATION_STATUSES,
  canTake,
  nextStatus,
  TransitionRefused,
  type ApplicationActor,
} from './application-state-machine';

/**
 * DESIGN.md §4 written out by hand, one line per allowed (status, action, actor): every other
 * combination must be refused. The table in the code is checked against this list, not against itself.
 */
const ALLOWED = `
draft                submit             applicant -> submitted
submitted            accept             clerk     -> in_review
submitted            accept             approver  -> in_review
in_review            request_supplement clerk     -> supplement_requested
in_review            request_supplement approver  -> supplement_requested
supplement_requested resubmit           applicant -> in_review
in_review            reject             clerk     -> rejected
in_review            reject             approver  -> rejected
in_review            approve            approver  -> approved
approved             issue              system    -> issued
draft                withdraw           applicant -> withdrawn
submitted            withdraw           applicant -> withdrawn
in_review            withdraw           applicant -> withdrawn
supplement_requested withdraw           applicant -> withdrawn
issued               revoke             approver  -> revoked
issued               revoke             district  -> revoked
`
  .trim()
  .split('\n')
  .map((line) => {
    const [status, action, actor, , to] = line.trim().split(/\s+/);
    return { status, action, actor, to };
  });

const ACTORS: ApplicationActor[] = ['applicant', 'clerk', 'approver', 'district', 'system'];

describe('application state machine', () => {
  const combinations = APPLICATION_STATUSES.flatMap((status) =>
    APPLICATION_ACTIONS.flatMap((action) => ACTORS.map((actor) => ({ status, action, actor }))),
  );

  it.each(ALLOWED)('$actor may $action an application that is $status, and it becomes $to', (rule) => {
    const sut = nextStatus(rule.status as never, rule.action as never, rule.actor as never);
    expect(sut).toBe(rule.to);
  });

  it(`refuses every one of the other ${combinations.length - ALLOWED.length} combinations`, () => {
    const refusedButAllowed: string[] = [];
    const allowedButRefused: string[] = [];
    for (const { status, action, actor } of combinations) {
      const expected = ALLOWED.some((r) => r.status === status && r.action === action && r.actor === actor);
      let taken: boolean;
      try {
        nextStatus(status, action, actor);
        taken = true;
      } catch (error) {
        expect(error).toBeInstanceOf(TransitionRefused);
        taken = false;
      }
      expect(canTake(status, action, actor)).toBe(taken);
      if (taken && !expected) refusedButAllowed.push(`${actor} ${action} ${status}`);
      if (!taken && expected) allowedButRefused.push(`${actor} ${action} ${status}`);
    }
    expect(refusedButAllowed).toEqual([]);
    expect(allowedButRefused).toEqual([]);
  });

  it('says whether the state or the actor is wrong', () => {
    expect(() => nextStatus('approved', 'approve', 'approver')).toThrow(
      expect.objectContaining({ reason: 'wrong-state' }),
    );
    expect(() => nextStatus('in_review', 'approve', 'clerk')).toThrow(
      expect.objectContaining({ reason: 'wrong-actor' }),
    );
  });

  it('nothing leaves a final state except revoking an issued certificate', () => {
    for (const status of ['rejected', 'withdrawn', 'revoked'] as const) {
      for (const action of APPLICATION_ACTIONS) {
        for (const actor of ACTORS) expect(canTake(status, action, actor)).toBe(false);
      }
    }
  });
});
