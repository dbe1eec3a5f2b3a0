/** Every text the simulator shows to a person, in one place. */
export const MESSAGES = {
  platformTitle: '可信认证平台（模拟）',
  simulatorNotice: '开发测试用模拟平台，人员数据均为虚构。',
  signInTo: (client: string) => `登录以继续使用「${client}」`,
  usernameLabel: '用户名',
  passwordLabel: '密码',
  nameLabel: '姓名',
  signInButton: '登录',
  wrongCredentials: '用户名或密码错误',
  tooManyAttempts: (minutes: number) => `尝试次数过多，请 ${minutes} 分钟后再试`,
  interactionExpired: '登录请求已失效或已完成，请返回原应用重新发起登录。',
  badRequest: '请求无效，请返回原应用重新发起登录。',
  errorTitle: '出错了',
  errorCode: '错误代码',
  logoutQuestion: '是否退出可信认证平台的登录？',
  logoutYes: '退出登录',
  logoutNo: '保持登录',
  loggedOut: '您已退出登录。',
  seededPeople: '模拟人员（统一测试密码见 IDP_SIM_PASSWORD）',
  issuer: '签发者（issuer）',
  assuranceLevel: '认证等级',
} as const;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** For element content and double- or single-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font-family:-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;background:#f2f4f7;color:#1f2329}
main{max-width:420px;margin:0 auto;padding:24px 16px}
.card{background:#fff;border-radius:12px;padding:24px 20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:20px;margin:0 0 4px;color:#c8161d}
.notice{font-size:12px;color:#86909c;margin:0 0 20px}
label{display:block;font-size:14px;margin:16px 0 6px}
input{width:100%;font-size:16px;padding:12px;border:1px solid #c9cdd4;border-radius:8px}
button{width:100%;margin-top:24px;font-size:16px;padding:12px;border:0;border-radius:8px;background:#c8161d;color:#fff}
button.secondary{background:#e5e6eb;color:#1f2329;margin-top:12px}
.error{background:#fff1f0;color:#c8161d;border-radius:8px;padding:10px 12px;font-size:14px}
table{width:100%;border-collapse:collapse;font-size:14px}td,th{text-align:left;padding:6px 4px;border-bottom:1px solid #e5e6eb}
code{word-break:break-all}
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main><div class="card">
<h1>${escapeHtml(MESSAGES.platformTitle)}</h1>
<p class="notice">${escapeHtml(MESSAGES.simulatorNotice)}</p>
${body}
</div></main>
</body>
</html>
`;
}

function errorBox(message: string | undefined): string {
  return message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : '';
}

export interface LoginPageModel {
  /** Where the form posts: /interaction/<uid>/login. */
  action: string;
  clientName: string;
  /** What the person typed last time, shown again. */
  username?: string;
  error?: string;
}

export function loginPage(model: LoginPageModel): string {
  return page(
    MESSAGES.platformTitle,
    `<p>${escapeHtml(MESSAGES.signInTo(model.clientName))}</p>
${errorBox(model.error)}
<form method="post" action="${escapeHtml(model.action)}">
<label for="username">${escapeHtml(MESSAGES.usernameLabel)}</label>
<input id="username" name="username" type="text" value="${escapeHtml(model.username ?? '')}" autocomplete="username" autocapitalize="none" spellcheck="false" required${model.username ? '' : ' autofocus'}>
<label for="password">${escapeHtml(MESSAGES.passwordLabel)}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${model.username ? ' autofocus' : ''}>
<button type="submit">${escapeHtml(MESSAGES.signInButton)}</button>
</form>`,
  );
}

export function messagePage(message: string, detail?: string): string {
  return page(
    MESSAGES.platformTitle,
    `${errorBox(message)}${detail ? `\n<p class="notice">${escapeHtml(detail)}</p>` : ''}`,
  );
}

/** The provider's own error responses (e.g. an unknown redirect_uri, which must not be redirected to). */
export function providerErrorPage(error: string, description: string | undefined): string {
  return page(
    MESSAGES.errorTitle,
    `${errorBox(description ?? MESSAGES.badRequest)}
<p class="notice">${escapeHtml(MESSAGES.errorCode)}：<code>${escapeHtml(error)}</code></p>`,
  );
}

/** `form` is the provider's own hidden logout form (id "op.logoutForm"), inserted as it is. */
export function logoutPage(form: string): string {
  return page(
    MESSAGES.platformTitle,
    `<p>${escapeHtml(MESSAGES.logoutQuestion)}</p>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">${escapeHtml(MESSAGES.logoutYes)}</button>
<button class="secondary" type="submit" form="op.logoutForm">${escapeHtml(MESSAGES.logoutNo)}</button>`,
  );
}

export function loggedOutPage(): string {
  return page(MESSAGES.platformTitle, `<p>${escapeHtml(MESSAGES.loggedOut)}</p>`);
}

export function indexPage(
  issuer: string,
  people: readonly { username: string; name: string; assuranceLevel: number }[],
): string {
  const rows = people
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.username)}</code></td><td>${escapeHtml(p.name)}</td><td>${p.assuranceLevel}</td></tr>`,
    )
    .join('\n');
  return page(
    MESSAGES.platformTitle,
    `<p>${escapeHtml(MESSAGES.issuer)}：<code>${escapeHtml(issuer)}</code></p>
<p>${escapeHtml(MESSAGES.seededPeople)}</p>
<table><thead><tr><th>${escapeHtml(MESSAGES.usernameLabel)}</th><th>${escapeHtml(MESSAGES.nameLabel)}</th><th>${escapeHtml(MESSAGES.assuranceLevel)}</th></tr></thead>
<tbody>
${rows}
</tbody></table>`,
  );
}
