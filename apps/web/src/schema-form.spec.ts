import { describe, expect, it } from '@jest/globals';
import { ApiError } from './api';
import {
  acceptAttribute,
  clockShown,
  clockText,
  detailNames,
  formProblems,
  newIdempotencyKey,
  type Clock,
  type FormSchema,
} from './applications';
import { fieldKind, formToValues, schemaFields, valuesToForm } from './schema-form';

// As PostgreSQL jsonb hands it back: keys sorted by length, not in the author's order.
const schema: FormSchema = {
  title: '测试申请表',
  required: ['applicantName', 'idNumber', 'phone', 'eventDate', 'eventKind', 'areaSqm'],
  properties: {
    note: { type: 'string', title: '备注', maxLength: 500 },
    phone: { type: 'string', title: '联系电话', format: 'cn-mobile', maxLength: 11 },
    floors: { type: 'integer', title: '层数' },
    areaSqm: { type: 'number', title: '面积（平方米）' },
    idNumber: { type: 'string', title: '身份证号', format: 'cn-id-number', maxLength: 18 },
    eventDate: { type: 'string', title: '发生日期', format: 'date' },
    eventKind: { type: 'string', title: '类型', enum: ['暴雨', '台风'] },
    applicantName: { type: 'string', title: '申请人姓名', maxLength: 30 },
  },
};

const clock = (patch: Partial<Clock>): Clock => ({
  limitWorkingDays: 3,
  usedWorkingDays: 1,
  remainingWorkingDays: 2,
  dueDate: '2025-06-18',
  paused: false,
  overdue: false,
  ...patch,
});

describe('the generated form', () => {
  it('lists required fields in the order of `required`, then the optional ones', () => {
    expect(schemaFields(schema).map((field) => field.key)).toEqual([
      'applicantName',
      'idNumber',
      'phone',
      'eventDate',
      'eventKind',
      'areaSqm',
      'note',
      'floors',
    ]);
    expect(schemaFields(schema).filter((field) => field.required)).toHaveLength(6);
  });

  it('picks a control for each kind of property', () => {
    expect(schemaFields(schema).map((field) => [field.key, field.kind])).toEqual([
      ['applicantName', 'text'],
      ['idNumber', 'id-number'],
      ['phone', 'mobile'],
      ['eventDate', 'date'],
      ['eventKind', 'enum'],
      ['areaSqm', 'number'],
      ['note', 'textarea'],
      ['floors', 'integer'],
    ]);
    expect(fieldKind({ type: ['integer', 'null'] })).toBe('integer');
  });

  it('sends numbers as numbers, leaves empty fields out and masked values unchanged', () => {
    const values = formToValues(schema, { idNumber: '4401**********0125', areaSqm: 35.5, floors: null });
    expect(values).toMatchObject({ idNumber: '4401**********0125', areaSqm: '35.5', floors: '', note: '' });
    expect(valuesToForm(schema, { ...values, floors: ' 3 ', eventKind: '暴雨', note: '  ' })).toEqual({
      idNumber: '4401**********0125',
      areaSqm: 35.5,
      floors: 3,
      eventKind: '暴雨',
    });
    // Not a number: sent as typed, for the API to explain what is wrong.
    expect(valuesToForm(schema, { areaSqm: '12a' })).toEqual({ areaSqm: '12a' });
  });
});

describe('API problems', () => {
  it('maps the problems of a refused form to their fields', () => {
    const error = new ApiError(422, 'APPLICATION_FORM_INVALID', '申请表填写有误', {
      problems: [
        { path: '/phone', message: '手机号码格式不正确' },
        { path: '/phone', message: '长度应为 11 位' },
        { path: '/', message: '不允许的字段' },
      ],
    });
    expect(formProblems(error)).toEqual({ phone: '手机号码格式不正确；长度应为 11 位', '': '不允许的字段' });
    expect(formProblems(new ApiError(409, 'APPLICATION_ALREADY_HANDLED', '已处理'))).toBeNull();
    expect(formProblems(new ApiError(422, 'CERTIFICATE_FORM_INVALID', '申请表填写有误'))).toEqual({
      '': '申请表填写有误',
    });
  });

  it('reads the names listed in details', () => {
    const error = new ApiError(422, 'APPLICATION_MATERIALS_MISSING', '缺少材料', {
      missing: [{ key: 'applicant-id-card', name: '申请人居民身份证' }, { key: 'x' }],
    });
    expect(detailNames(error, 'missing', 'name')).toEqual(['申请人居民身份证']);
    expect(detailNames(error, 'unanswered', 'materialName')).toEqual([]);
  });
});

describe('helpers', () => {
  it('says how much of the time limit is left', () => {
    expect(clockText(clock({}))).toBe('剩余 2 个工作日');
    expect(clockText(clock({ remainingWorkingDays: -2, overdue: true }))).toBe('已超期 2 个工作日');
    expect(clockText(clock({ paused: true }))).toBe('暂停计时（待补齐）');
    expect(clockShown('in_review')).toBe(true);
    expect(clockShown('approved')).toBe(false);
  });

  it('accepts images only when only images are accepted', () => {
    expect(acceptAttribute(['image'])).toBe('image/*');
    expect(acceptAttribute(['image', 'pdf'])).toBe('image/*,application/pdf');
    expect(acceptAttribute(['pdf'])).toBe('application/pdf');
  });

  it('makes a UUID for the idempotency key', () => {
    expect(newIdempotencyKey()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
