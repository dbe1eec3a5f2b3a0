import { ApiExceptionFilter } from './api-exception.filter';
import { ZodValidationPipe } from './zod-validation.pipe';
import { verificationNumber, verificationQuery } from '../verification/verification.dto';

describe(ZodValidationPipe.name, () => {
  const answer = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return new ApiExceptionFilter().toAnswer(error);
    }
    throw new Error('expected a refusal');
  };

  it('passes what the schema accepts, unchanged', () => {
    expect(new ZodValidationPipe(verificationQuery).transform({ code: '7kq2-m9xd', source: 'qr' })).toEqual({
      code: '7kq2-m9xd',
      source: 'qr',
    });
    expect(new ZodValidationPipe(verificationNumber).transform('440118001001WT2026000001CK')).toBe(
      '440118001001WT2026000001CK',
    );
  });

  it('refuses like the global pipe: 400 VALIDATION_FAILED naming each field, unknown ones included', () => {
    const refused = answer(() =>
      new ZodValidationPipe(verificationQuery).transform({ code: ['A', 'B'], source: 'camera', bogus: '1' }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED', message: '请求参数有误，请按提示修改' });
    const fields = (refused.body.details as { fields: { field: string; problems: string[] }[] }).fields;
    expect(fields.map((f) => f.field).sort()).toEqual(['bogus', 'code', 'source']);
    expect(fields.find((f) => f.field === 'bogus')?.problems).toEqual(['property bogus should not exist']);
  });

  it('names a path parameter by its name, with the message its rule gives', () => {
    const refused = answer(() => new ZodValidationPipe(verificationNumber, 'number').transform("Bad Value';--"));
    expect(refused.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { fields: [{ field: 'number', problems: ['number must be letters, digits and hyphens'] }] },
    });
  });
});
