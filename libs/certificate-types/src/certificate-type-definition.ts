import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { isMobilePhoneNumber, isValidIdNumber } from '@zhengming/pii';

export const MATERIAL_FILE_KINDS = ['image', 'pdf'] as const;
export type MaterialFileKind = (typeof MATERIAL_FILE_KINDS)[number];

export interface MaterialRequirement {
  key: string;
  name: string;
  accepts: MaterialFileKind[];
  required: boolean;
  maxFiles: number;
  description: string;
}

export const INTEGRATIONS = ['power-supply'] as const;
export type Integration = (typeof INTEGRATIONS)[number];

export const COMMITTEE_BASES = ['premises', 'residence', 'ward-residence', 'event-place', 'venue'] as const;

/** A certificate type as the district defines it: data, versioned, so new types need no release. */
export interface CertificateTypeDefinition {
  code: string;
  name: string;
  nameEn: string;
  description: string;
  issuingLevel: 'committee';
  committeeBasis: (typeof COMMITTEE_BASES)[number];
  validityDays: number;
  timeLimitWorkingDays: number;
  integrations: Integration[];
  formSchema: FormSchema;
  materials: MaterialRequirement[];
  /** Two capital letters naming the type inside certificate numbers (…-EV-2026-…); unique per type. */
  numberCode: string;
  template: CertificateTemplate;
}

/**
 * What the certificate says, as data. Texts refer to form fields with placeholders:
 * `{{applicantName}}` prints the answer as given; `{{idNumber | maskIdNumber}}` formats it (see
 * `TEMPLATE_FORMATTERS`). Every placeholder is checked against the form schema when the definition is
 * validated, so a template can only print what the form asks for, and personal numbers only masked.
 */
export interface CertificateTemplate {
  /** The heading, printed as it is (no placeholders): usually the type's name. */
  title: string;
  /** Printed in order: paragraphs (first line indented two characters) and small label/value tables. */
  body: TemplateBlock[];
  /** Per enum field, the words `{{field | text}}` prints for each value, e.g. 父母 → 双方系父母子女关系. */
  valueText?: Record<string, Record<string, string>>;
}

export type TemplateBlock = TemplateParagraph | TemplateFacts;

export interface TemplateParagraph {
  text: string;
  /** Left out when a field it refers to was not filled in; only such paragraphs may use optional fields. */
  optional?: boolean;
}

export interface TemplateFacts {
  facts: TemplateFact[];
}

export interface TemplateFact {
  label: string;
  value: string;
  optional?: boolean;
}

/**
 * - `maskIdNumber`, `maskPhone`: required on fields of format `cn-id-number` / `cn-mobile`, and only there.
 * - `date`: a `date` field as 2026年3月1日; required on date fields.
 * - `text`: an enum field through `template.valueText[field]`.
 */
export const TEMPLATE_FORMATTERS = ['maskIdNumber', 'maskPhone', 'date', 'text'] as const;
export type TemplateFormatter = (typeof TEMPLATE_FORMATTERS)[number];

export type TemplateSegment =
  { kind: 'literal'; text: string } | { kind: 'field'; field: string; formatter?: TemplateFormatter };

export class TemplateSyntaxError extends Error {}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const PLACEHOLDER_BODY = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:\|\s*([A-Za-z]+)\s*)?$/;

/**
 * Splits a template text into literal text and placeholders. Braces are reserved for placeholders: a
 * stray `{` or `}` is an error rather than text, so `{applicantName}` cannot slip through printed.
 */
export function parseTemplateText(text: string): TemplateSegment[] {
  const segments: TemplateSegment[] = [];
  const literal = (part: string): void => {
    if (/[{}]/.test(part)) throw new TemplateSyntaxError(`花括号只能用于占位符 {{字段}}：${part}`);
    if (part) segments.push({ kind: 'literal', text: part });
  };
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    literal(text.slice(last, match.index));
    const parsed = PLACEHOLDER_BODY.exec(match[1]);
    if (!parsed) throw new TemplateSyntaxError(`占位符写法有误：${match[0]}`);
    const [, field, formatter] = parsed;
    if (formatter !== undefined && !(TEMPLATE_FORMATTERS as readonly string[]).includes(formatter))
      throw new TemplateSyntaxError(`不认识的格式 ${formatter}（可用：${TEMPLATE_FORMATTERS.join('、')}）`);
    segments.push({ kind: 'field', field, ...(formatter ? { formatter: formatter as TemplateFormatter } : {}) });
    last = match.index + match[0].length;
  }
  literal(text.slice(last));
  return segments;
}

export interface FormSchema {
  $schema?: string;
  type: 'object';
  title: string;
  properties: Record<string, unknown>;
  required?: string[];
  examples: Record<string, unknown>[];
  [keyword: string]: unknown;
}

const definitionSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'code',
    'name',
    'nameEn',
    'description',
    'issuingLevel',
    'committeeBasis',
    'validityDays',
    'timeLimitWorkingDays',
    'integrations',
    'formSchema',
    'materials',
    'numberCode',
    'template',
  ],
  properties: {
    code: {
      type: 'string',
      pattern: '^[a-z][a-z0-9]*(-[a-z0-9]+)*$',
      maxLength: 64,
    },
    name: { type: 'string', minLength: 2, maxLength: 100 },
    nameEn: { type: 'string', minLength: 2, maxLength: 200 },
    description: { type: 'string', maxLength: 1000 },
    issuingLevel: { const: 'committee' },
    committeeBasis: { enum: COMMITTEE_BASES },
    validityDays: { type: 'integer', minimum: 1, maximum: 3650 },
    timeLimitWorkingDays: { type: 'integer', minimum: 1, maximum: 60 },
    integrations: {
      type: 'array',
      uniqueItems: true,
      items: { enum: INTEGRATIONS },
    },
    formSchema: {
      type: 'object',
      required: ['type', 'title', 'properties', 'examples'],
      properties: {
        type: { const: 'object' },
        title: { type: 'string', minLength: 1 },
        properties: { type: 'object', minProperties: 1 },
        examples: { type: 'array', minItems: 1, items: { type: 'object' } },
      },
    },
    materials: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'name', 'accepts', 'required', 'maxFiles', 'description'],
        properties: {
          key: {
            type: 'string',
            pattern: '^[a-z][a-z0-9]*(-[a-z0-9]+)*$',
            maxLength: 64,
          },
          name: { type: 'string', minLength: 1, maxLength: 100 },
          accepts: {
            type: 'array',
            minItems: 1,
            uniqueItems: true,
            items: { enum: MATERIAL_FILE_KINDS },
          },
          required: { type: 'boolean' },
          maxFiles: { type: 'integer', minimum: 1, maximum: 20 },
          description: { type: 'string', maxLength: 500 },
        },
      },
    },
    numberCode: { type: 'string', pattern: '^[A-Z]{2}$' },
    template: {
      type: 'object',
      additionalProperties: false,
      required: ['title', 'body'],
      properties: {
        title: { type: 'string', minLength: 2, maxLength: 40, pattern: '^[^{}]+$' },
        body: {
          type: 'array',
          minItems: 1,
          maxItems: 12,
          items: {
            oneOf: [
              {
                type: 'object',
                additionalProperties: false,
                required: ['text'],
                properties: {
                  text: { type: 'string', minLength: 1, maxLength: 1000 },
                  optional: { type: 'boolean' },
                },
              },
              {
                type: 'object',
                additionalProperties: false,
                required: ['facts'],
                properties: {
                  facts: {
                    type: 'array',
                    minItems: 1,
                    maxItems: 12,
                    items: {
                      type: 'object',
                      additionalProperties: false,
                      required: ['label', 'value'],
                      properties: {
                        label: { type: 'string', minLength: 1, maxLength: 12, pattern: '^[^{}]+$' },
                        value: { type: 'string', minLength: 1, maxLength: 300 },
                        optional: { type: 'boolean' },
                      },
                    },
                  },
                },
              },
            ],
          },
        },
        valueText: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            minProperties: 1,
            additionalProperties: { type: 'string', minLength: 1, maxLength: 100 },
          },
        },
      },
    },
  },
} as const;

export interface SchemaProblem {
  path: string;
  message: string;
}

/**
 * Formats that mark a form field as personal data as well as checking it: such fields are masked
 * wherever a form is shown (see `personalFieldsOf`).
 */
export const PERSONAL_DATA_FORMATS = { 'cn-id-number': 'idNumber', 'cn-mobile': 'phone' } as const;
export type PersonalDataFormat = keyof typeof PERSONAL_DATA_FORMATS;

export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  // GB 11643: the check character catches a mistyped digit, which a pattern alone lets through.
  ajv.addFormat('cn-id-number', { type: 'string', validate: (value: string) => isValidIdNumber(value) });
  ajv.addFormat('cn-mobile', { type: 'string', validate: isMobilePhoneNumber });
  return ajv;
}

/** The form fields holding an ID number or a phone number, by the format their schema declares. */
export function personalFieldsOf(schema: FormSchema): { field: string; kind: 'idNumber' | 'phone' }[] {
  return Object.entries(schema.properties).flatMap(([field, property]) => {
    const format = (property as { format?: string }).format;
    return format && format in PERSONAL_DATA_FORMATS
      ? [{ field, kind: PERSONAL_DATA_FORMATS[format as PersonalDataFormat] }]
      : [];
  });
}

const FORMAT_MESSAGES: Record<string, string> = {
  'cn-id-number': '身份证号码有误，请核对（18 位，末位校验码）',
  'cn-mobile': '手机号码有误，应为 11 位手机号',
  date: '日期格式应为 YYYY-MM-DD',
};

function messageOf(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `缺少 ${String(p.missingProperty)}`;
    case 'additionalProperties':
      return `不认识的字段 ${String(p.additionalProperty)}`;
    case 'format':
      return FORMAT_MESSAGES[String(p.format)] ?? '格式不正确';
    case 'pattern':
      return '格式不正确';
    case 'minLength':
      return `至少 ${String(p.limit)} 个字`;
    case 'maxLength':
      return `最多 ${String(p.limit)} 个字`;
    case 'minimum':
      return `不能小于 ${String(p.limit)}`;
    case 'maximum':
      return `不能大于 ${String(p.limit)}`;
    case 'enum':
      return '请从给定的选项中选择';
    case 'type':
      return `类型应为 ${String(p.type)}`;
    default:
      return e.message ?? '不符合要求';
  }
}

export function toProblems(errors: ErrorObject[] | null | undefined): SchemaProblem[] {
  return (errors ?? []).map((e) => ({
    path: e.keyword === 'required' ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.instancePath || '/',
    message: messageOf(e),
  }));
}

const ajv = createAjv();
const validateDefinitionShape: ValidateFunction = ajv.compile(definitionSchema);

/**
 * Checks a definition completely: its shape, that its form schema compiles under strict draft
 * 2020-12, that every example is a valid filled-in form, and that material keys are unique.
 */
export function validateDefinition(definition: unknown): SchemaProblem[] {
  if (!validateDefinitionShape(definition)) return toProblems(validateDefinitionShape.errors);
  const typed = definition as CertificateTypeDefinition;
  const problems: SchemaProblem[] = [];
  const keys = typed.materials.map((m) => m.key);
  const duplicate = keys.find((key, i) => keys.indexOf(key) !== i);
  if (duplicate) problems.push({ path: '/materials', message: `材料 ${duplicate} 重复` });

  let validateForm: ValidateFunction;
  try {
    validateForm = createAjv().compile(typed.formSchema);
  } catch (error) {
    return [...problems, { path: '/formSchema', message: (error as Error).message }];
  }
  problems.push(...templateProblems(typed.template, typed.formSchema));
  typed.formSchema.examples.forEach((example, index) => {
    if (!validateForm(example)) {
      for (const p of toProblems(validateForm.errors)) {
        problems.push({
          path: `/formSchema/examples/${index}${p.path === '/' ? '' : p.path}`,
          message: p.message,
        });
      }
    }
  });
  return problems;
}

interface FieldSchema {
  type?: unknown;
  format?: unknown;
  enum?: unknown[];
}

/** The formatter a field must be printed with, whatever the template author wrote. */
const REQUIRED_FORMATTER: Record<string, TemplateFormatter> = {
  'cn-id-number': 'maskIdNumber',
  'cn-mobile': 'maskPhone',
  date: 'date',
};

/**
 * Checks a template against the form it prints: every placeholder names a field of the form, with a
 * formatter that suits it; ID and phone numbers only masked; fields the form may leave empty only in
 * optional blocks; every value of an enum printed through `text` has its words.
 */
function templateProblems(template: CertificateTemplate, form: FormSchema): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const required = new Set(form.required ?? []);
  const fieldsUsedAsText = new Set<string>();

  const checkText = (text: string, optional: boolean, path: string): void => {
    let segments: TemplateSegment[];
    try {
      segments = parseTemplateText(text);
    } catch (error) {
      problems.push({ path, message: (error as Error).message });
      return;
    }
    let usesOptionalField = false;
    for (const segment of segments) {
      if (segment.kind !== 'field') continue;
      const { field, formatter } = segment;
      const property = Object.hasOwn(form.properties, field) ? (form.properties[field] as FieldSchema) : undefined;
      if (!property) {
        problems.push({ path, message: `模板引用了表单中没有的字段 {{${field}}}` });
        continue;
      }
      if (property.type !== 'string' && property.type !== 'number' && property.type !== 'integer')
        problems.push({ path, message: `字段 ${field} 不是文字或数字，不能打印` });
      const needed = typeof property.format === 'string' ? REQUIRED_FORMATTER[property.format] : undefined;
      if (needed && formatter !== needed)
        problems.push({ path, message: `字段 ${field} 须写作 {{${field} | ${needed}}}` });
      else if (!needed && formatter && formatter !== 'text')
        problems.push({ path, message: `格式 ${formatter} 不适用于字段 ${field}` });
      if (formatter === 'text') {
        fieldsUsedAsText.add(field);
        if (!Array.isArray(property.enum))
          problems.push({ path, message: `字段 ${field} 不是选择项，不能用 text 格式` });
        else if (!template.valueText?.[field])
          problems.push({ path, message: `valueText 中缺少字段 ${field} 各选项的文字` });
      }
      if (!required.has(field)) usesOptionalField = true;
      if (!required.has(field) && !optional)
        problems.push({ path, message: `字段 ${field} 可以不填，引用它的段落或行须标明 optional` });
    }
    if (optional && !usesOptionalField)
      problems.push({ path, message: '标明 optional 的段落或行须引用至少一个可以不填的字段' });
  };

  template.body.forEach((block, i) => {
    if ('text' in block) checkText(block.text, block.optional === true, `/template/body/${i}/text`);
    else
      block.facts.forEach((fact, j) =>
        checkText(fact.value, fact.optional === true, `/template/body/${i}/facts/${j}/value`),
      );
  });

  for (const [field, words] of Object.entries(template.valueText ?? {})) {
    const path = `/template/valueText/${field}`;
    const values = Object.hasOwn(form.properties, field) ? (form.properties[field] as FieldSchema).enum : undefined;
    if (!Array.isArray(values)) {
      problems.push({ path, message: `字段 ${field} 不是表单中的选择项` });
      continue;
    }
    if (!fieldsUsedAsText.has(field)) problems.push({ path, message: `模板没有用到 {{${field} | text}}` });
    const missing = values.filter((v) => typeof v !== 'string' || !Object.hasOwn(words, v));
    const extra = Object.keys(words).filter((k) => !values.includes(k));
    if (missing.length > 0) problems.push({ path, message: `缺少选项 ${missing.join('、')} 的文字` });
    if (extra.length > 0) problems.push({ path, message: `表单中没有选项 ${extra.join('、')}` });
  }
  return problems;
}
