import { escapeHtml, loginPage, MESSAGES, providerErrorPage } from './html-pages';

describe(loginPage.name, () => {
  it('posts username and password as a form to the interaction', () => {
    const html = loginPage({ action: '/interaction/abc/login', clientName: '正明' });
    expect(html).toContain('<title>可信认证平台（模拟）</title>');
    expect(html).toContain('<form method="post" action="/interaction/abc/login">');
    expect(html).toMatch(/<input id="username" name="username" type="text"/);
    expect(html).toMatch(/<input id="password" name="password" type="password"/);
    expect(html).toContain('name="viewport"');
  });

  it('escapes everything it echoes', () => {
    const html = loginPage({
      action: '/interaction/"><script>/login',
      clientName: '<b>client</b>',
      username: `"><img src=x onerror=alert('1')>`,
      error: MESSAGES.wrongCredentials,
    });
    expect(html).not.toMatch(/<script>|<img|<b>/);
    expect(html).toContain('value="&quot;&gt;&lt;img src=x onerror=alert(&#39;1&#39;)&gt;"');
    expect(html).toContain('用户名或密码错误');
  });
});

describe(providerErrorPage.name, () => {
  it('escapes the error code and description', () => {
    const html = providerErrorPage('invalid_<x>', 'bad "thing"');
    expect(html).toContain('invalid_&lt;x&gt;');
    expect(html).toContain('bad &quot;thing&quot;');
  });
});

describe(escapeHtml.name, () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('words the lockout with the minutes to wait', () => {
    expect(MESSAGES.tooManyAttempts(7)).toBe('尝试次数过多，请 7 分钟后再试');
  });
});
