import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { OrganizationErrorCode, OrganizationException } from '@zhengming/organizations';
import { ApiExceptionFilter } from './api-exception.filter';

describe(ApiExceptionFilter.name, () => {
  const sut = new ApiExceptionFilter();

  it('answers a domain error with its status, code and Chinese message', () => {
    expect(sut.toAnswer(new OrganizationException(OrganizationErrorCode.NotFound, { code: '440118' }))).toEqual({
      status: 404,
      body: { code: 'ORGANIZATION_NOT_FOUND', message: '未找到该组织机构', details: { code: '440118' } },
    });
  });

  it('answers Fastify body errors with their own codes', () => {
    const cause = Object.assign(new Error('bad'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    expect(sut.toAnswer(new HttpException('bad', 400, { cause })).body.code).toBe('MALFORMED_JSON');
    const tooLarge = Object.assign(new Error('big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect(sut.toAnswer(new HttpException('big', 413, { cause: tooLarge }))).toMatchObject({
      status: 413,
      body: { code: 'PAYLOAD_TOO_LARGE' },
    });
  });

  it('answers an unknown route as ROUTE_NOT_FOUND and other 4xx as MALFORMED_REQUEST', () => {
    expect(sut.toAnswer(new NotFoundException()).body.code).toBe('ROUTE_NOT_FOUND');
    expect(sut.toAnswer(new BadRequestException()).body.code).toBe('MALFORMED_REQUEST');
  });

  it('hides the internals of an unexpected error', () => {
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const answer = sut.toAnswer(new TypeError('cannot read x of undefined'));
    expect(answer).toEqual({ status: 500, body: { code: 'INTERNAL_ERROR', message: '系统繁忙，请稍后再试' } });
  });
});
