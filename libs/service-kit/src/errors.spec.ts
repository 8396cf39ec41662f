import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { ErrorKind, GatewayError, ValidationError } from '@gw/contracts';
import { describeError, HTTP_STATUS_BY_KIND, INTERNAL_ERROR_MESSAGE } from './errors';

describe('describeError', () => {
  it.each([
    [ErrorKind.ContractInvalid, 400],
    [ErrorKind.NotAllowed, 405],
    [ErrorKind.EntityNotFound, 404],
    [ErrorKind.DuplicateName, 409],
    [ErrorKind.StatusConflict, 409],
    [ErrorKind.ServiceLocked, 423],
    [ErrorKind.RangeNotSatisfiable, 416],
    [ErrorKind.PayloadTooLarge, 413],
    [ErrorKind.Unauthorized, 401],
    [ErrorKind.ServiceUnavailable, 503],
    [ErrorKind.Timeout, 504],
    [ErrorKind.Communication, 503],
    [ErrorKind.Database, 500],
    [ErrorKind.Unknown, 500],
  ])('%s -> %d', (kind, status) => {
    expect(describeError(new GatewayError(kind, 'why'))).toEqual({ statusCode: status, message: 'why' });
  });

  it('covers every kind', () => {
    for (const kind of Object.values(ErrorKind)) expect(HTTP_STATUS_BY_KIND[kind]).toBeGreaterThanOrEqual(400);
  });

  it('keeps the field and line of a ValidationError', () => {
    const err = new ValidationError([{ path: 'deviceResources[0].name', message: 'required', line: 12 }], 'profile.yaml');
    expect(describeError(err)).toEqual({ statusCode: 400, message: 'profile.yaml:12: deviceResources[0].name: required' });
  });

  it('maps Nest exceptions', () => {
    expect(describeError(new NotFoundException('Cannot GET /x'))).toEqual({ statusCode: 404, message: 'Cannot GET /x' });
    expect(describeError(new BadRequestException(['a is wrong', 'b is wrong']))).toEqual({
      statusCode: 400,
      message: 'a is wrong; b is wrong',
    });
  });

  it("rewrites fastify's messages into actionable ones", () => {
    expect(describeError(new HttpException('Request body is too large', 413), { maxBody: 1024 })).toEqual({
      statusCode: 413,
      message: 'request body is larger than the limit of 1024 bytes (GW_MAX_BODY)',
    });
    const fileTooLarge = Object.assign(new Error('request file too large'), { statusCode: 413, code: 'FST_REQ_FILE_TOO_LARGE' });
    expect(describeError(fileTooLarge, { maxBody: 10 }).message).toBe('uploaded file is larger than the limit of 10 bytes (GW_MAX_BODY)');
    expect(describeError(new HttpException('Unsupported Media Type', 415), { contentType: 'application/xml' }).message).toMatch(
      /^unsupported content type "application\/xml": send application\/json/,
    );
  });

  it('hides the text of unexpected errors', () => {
    expect(describeError(new TypeError('cannot read x of undefined at /srv/app.js'))).toEqual({
      statusCode: 500,
      message: INTERNAL_ERROR_MESSAGE,
    });
    expect(describeError('a string')).toEqual({ statusCode: 500, message: INTERNAL_ERROR_MESSAGE });
  });
});
