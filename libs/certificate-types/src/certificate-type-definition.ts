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
