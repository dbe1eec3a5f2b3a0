// The web app's user-facing text that is chosen by code (error codes, role names, levels) lives here,
// so one place holds the wording. Text that belongs to a single screen stays in its template.

export const appTitle = '正明 · 电子证明';

export const loginErrorMessages: Readonly<Record<string, string>> = {
  AUTH_LOGIN_FAILED: '登录失败，请重试',
  AUTH_RATE_LIMITED: '尝试次数过多，请稍后再试',
};

export const loginErrorFallback = '登录未完成';

export function loginErrorMessage(code: string): string {
  return loginErrorMessages[code] ?? loginErrorFallback;
}

/** What each staff role may do, shown on the workbench. */
export const roleAbilities: Readonly<Record<string, string>> = {
  clerk: '受理、审核申请，发起补正',
  approver: '审批并签发证明',
  supervisor: '查看本镇街各村居的办理情况',
  admin: '管理机构、人员、核验机构与审计日志',
};

export function assuranceLabel(level: number): string {
  return `L${level} 实名认证`;
}

export const errors = {
  network: '网络连接失败，请检查网络后重试',
  unexpected: '服务暂时不可用，请稍后再试',
  sessionExpired: '登录已过期，请重新登录',
};
