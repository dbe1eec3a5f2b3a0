/**
 * The life of an application (DESIGN.md §4) as data: which action leads from which states to which
 * state, and who may take it. Plain TypeScript so that every transition is unit-tested without a
 * database; the service asks it before writing anything.
 */
export const APPLICATION_STATUSES = [
  'draft',
  'submitted',
  'in_review',
  'supplement_requested',
  'approved',
  'issued',
  'rejected',
  'withdrawn',
  'revoked',
] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

export const APPLICATION_ACTIONS = [
  'submit',
  'accept',
  'request_supplement',
  'resubmit',
  'reject',
  'approve',
  'issue',
  'withdraw',
  'revoke',
] as const;
export type ApplicationAction = (typeof APPLICATION_ACTIONS)[number];

/** The part a caller plays towards one application. */
export type ApplicationActor = 'applicant' | 'clerk' | 'approver' | 'district' | 'system';

interface TransitionRule {
  from: readonly ApplicationStatus[];
  to: ApplicationStatus;
  by: readonly ApplicationActor[];
}

const REVIEWERS = ['clerk', 'approver'] as const;

export const TRANSITIONS: Readonly<Record<ApplicationAction, TransitionRule>> = {
  submit: { from: ['draft'], to: 'submitted', by: ['applicant'] },
  accept: { from: ['submitted'], to: 'in_review', by: REVIEWERS },
  request_supplement: { from: ['in_review'], to: 'supplement_requested', by: REVIEWERS },
  resubmit: { from: ['supplement_requested'], to: 'in_review', by: ['applicant'] },
  reject: { from: ['in_review'], to: 'rejected', by: REVIEWERS },
  // Only an approver signs off; the committee seal is applied when the certificate is issued.
  approve: { from: ['in_review'], to: 'approved', by: ['approver'] },
  issue: { from: ['approved'], to: 'issued', by: ['system'] },
  withdraw: {
    from: ['draft', 'submitted', 'in_review', 'supplement_requested'],
    to: 'withdrawn',
    by: ['applicant'],
  },
  revoke: { from: ['issued'], to: 'revoked', by: ['approver', 'district'] },
};

/** States after which no review decision is pending: a reviewer's action there was already taken. */
export const DECIDED_STATUSES: readonly ApplicationStatus[] = [
  'approved',
  'issued',
  'rejected',
  'withdrawn',
  'revoked',
];

export type TransitionRefusal = 'wrong-state' | 'wrong-actor';

export class TransitionRefused extends Error {
  constructor(
    readonly reason: TransitionRefusal,
    readonly action: ApplicationAction,
    readonly status: ApplicationStatus,
    readonly actor: ApplicationActor,
  ) {
    super(`${actor} may not ${action} an application that is ${status} (${reason})`);
    this.name = 'TransitionRefused';
  }
}

/** The status `action` leads to, or a refusal saying whether the state or the actor is wrong. */
export function nextStatus(
  status: ApplicationStatus,
  action: ApplicationAction,
  actor: ApplicationActor,
): ApplicationStatus {
  const rule = TRANSITIONS[action];
  if (!rule.by.includes(actor)) throw new TransitionRefused('wrong-actor', action, status, actor);
  if (!rule.from.includes(status)) throw new TransitionRefused('wrong-state', action, status, actor);
  return rule.to;
}

export function canTake(status: ApplicationStatus, action: ApplicationAction, actor: ApplicationActor): boolean {
  const rule = TRANSITIONS[action];
  return rule.by.includes(actor) && rule.from.includes(status);
}

/** Whether the form and materials may change: while drafting, and while answering a supplement request. */
export function isEditable(status: ApplicationStatus): boolean {
  return status === 'draft' || status === 'supplement_requested';
}

/** The promised-time-limit clock runs while the committee holds the application. */
export function clockRuns(status: ApplicationStatus): boolean {
  return status === 'submitted' || status === 'in_review';
}

export const STATUS_NAMES: Readonly<Record<ApplicationStatus, string>> = {
  draft: '草稿',
  submitted: '已提交',
  in_review: '审核中',
  supplement_requested: '待补齐材料',
  // Approved: the certificate is being signed, time-stamped and issued (a TSA away keeps it here a while).
  approved: '出证中',
  issued: '已出证',
  rejected: '不予通过',
  withdrawn: '已撤回',
  revoked: '已撤销',
};

export const ACTION_NAMES: Readonly<Record<ApplicationAction | 'create', string>> = {
  create: '创建申请',
  submit: '提交申请',
  accept: '受理',
  request_supplement: '要求补齐材料',
  resubmit: '补齐后重新提交',
  reject: '不予通过',
  approve: '审批通过',
  issue: '出具证明',
  withdraw: '撤回申请',
  revoke: '撤销证明',
};

export const ACTOR_NAMES: Readonly<Record<ApplicationActor, string>> = {
  applicant: '申请人',
  clerk: '经办人',
  approver: '审批人',
  district: '区管理员',
  system: '系统',
};
