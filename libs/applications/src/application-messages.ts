import type { ApplicationAction } from './application-state-machine';

export interface MessageFacts {
  typeName: string;
  referenceNo: string;
  committeeName: string;
  applicantName: string;
  limitWorkingDays: number;
  reason: string | null;
  materials: string[];
}

interface Text {
  title: string;
  body: string;
}

/**
 * The Chinese texts residents and committees receive in the app (and residents by SMS) when an
 * application changes state. Short enough for one SMS where possible; never any personal data
 * beyond the masked name.
 */
export function messageFor(action: ApplicationAction, f: MessageFacts): { resident?: Text; committee?: Text } {
  const subject = `您的「${f.typeName}」申请（${f.referenceNo}）`;
  switch (action) {
    case 'submit':
      return {
        resident: {
          title: '申请已提交',
          body: `${subject}已提交至${f.committeeName}，承诺 ${f.limitWorkingDays} 个工作日内办结。`,
        },
        committee: {
          title: '新的证明申请',
          body: `${f.applicantName}提交了「${f.typeName}」申请（${f.referenceNo}），请及时受理。`,
        },
      };
    case 'accept':
      return { resident: { title: '申请已受理', body: `${subject}已由${f.committeeName}受理，正在审核。` } };
    case 'request_supplement':
      return {
        resident: {
          title: '请补齐材料',
          body: `${subject}需要补齐材料：${f.materials.join('、')}。请在“我的申请”中查看要求并上传，补齐前办理时限暂停计算。`,
        },
      };
    case 'resubmit':
      return {
        resident: { title: '材料已重新提交', body: `${subject}已补齐材料并重新提交，办理时限继续计算。` },
        committee: {
          title: '申请人已补齐材料',
          body: `${f.applicantName}已补齐「${f.typeName}」申请（${f.referenceNo}）的材料，请继续审核。`,
        },
      };
    case 'reject':
      return { resident: { title: '申请未通过', body: `${subject}未通过审核。原因：${f.reason ?? ''}` } };
    case 'approve':
      return { resident: { title: '申请已通过', body: `${subject}已审批通过，正在出具电子证明（出证中）。` } };
    case 'withdraw':
      return {
        resident: { title: '申请已撤回', body: `${subject}已撤回。` },
        committee: { title: '申请已撤回', body: `${f.applicantName}撤回了「${f.typeName}」申请（${f.referenceNo}）。` },
      };
    case 'issue':
      return { resident: { title: '证明已出具', body: `${subject}的电子证明已出具，可在“我的申请”中下载。` } };
    case 'revoke':
      return { resident: { title: '证明已撤销', body: `${subject}的电子证明已被撤销。原因：${f.reason ?? ''}` } };
  }
}
