import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

/** Why an uploaded material was refused. The details of each code are listed beside it. */
export enum MaterialErrorCode {
  /** `{ maxBytes, sizeBytes }`, or for images `{ maxPixels, width, height }`. */
  TooLarge = 'MATERIAL_TOO_LARGE',
  Empty = 'MATERIAL_EMPTY',
  /** `{ detected? }`: what the bytes look like, when known (`zip`, `exe`, `gif`, …). */
  TypeUnsupported = 'MATERIAL_TYPE_UNSUPPORTED',
  /** `{ accepts, kind }`. */
  KindNotAccepted = 'MATERIAL_KIND_NOT_ACCEPTED',
  /** `{ kind }`: claims to be a supported format but does not open. */
  Corrupt = 'MATERIAL_CORRUPT',
  Encrypted = 'MATERIAL_ENCRYPTED',
  /** `{ maxPages, pages }`. */
  TooManyPages = 'MATERIAL_TOO_MANY_PAGES',
  /** `{ names }`: the PDF names found (`JavaScript`, `Launch`, `EmbeddedFiles`, …). */
  ActiveContent = 'MATERIAL_ACTIVE_CONTENT',
  /** `{ reason, … }`: the file is also another kind of file. */
  Polyglot = 'MATERIAL_POLYGLOT',
  HeicUnreadable = 'MATERIAL_HEIC_UNREADABLE',
}

export const materialErrorMessages: MessageCatalogue<MaterialErrorCode> = {
  [MaterialErrorCode.TooLarge]: '文件太大，请压缩或分成几份后重新上传',
  [MaterialErrorCode.Empty]: '文件是空的，请重新选择',
  [MaterialErrorCode.TypeUnsupported]: '只能上传照片（JPG、PNG、HEIC）或 PDF 文件',
  [MaterialErrorCode.KindNotAccepted]: '这项材料不接受该类型的文件，请按提示上传照片或 PDF',
  [MaterialErrorCode.Corrupt]: '文件已损坏或无法打开，请重新拍摄或重新导出后上传',
  [MaterialErrorCode.Encrypted]: 'PDF 文件设置了密码或加密，请取消后重新上传',
  [MaterialErrorCode.TooManyPages]: 'PDF 页数过多（最多 200 页），请拆分后上传',
  [MaterialErrorCode.ActiveContent]: 'PDF 文件含有脚本、附件等不安全内容，请另存为普通 PDF 或拍照后上传',
  [MaterialErrorCode.Polyglot]: '文件结构异常，可能夹带了其他内容，请重新导出后上传',
  [MaterialErrorCode.HeicUnreadable]:
    '无法读取这张 HEIC 照片。请在手机“设置 > 相机 > 格式”中选择“兼容性最佳”后重新拍摄，或上传截图、JPG 照片',
};

export class MaterialException extends DomainException<MaterialErrorCode> {
  constructor(code: MaterialErrorCode, details?: unknown) {
    super(code, materialErrorMessages[code], details);
  }
}
