import { ErrorKind, GatewayError } from '@gw/contracts';
import { countResponse, errorResponse, idResponse, multiStatus, okResponse } from './envelope';

describe('envelopes', () => {
  it('shape single answers like EdgeX', () => {
    expect(okResponse()).toEqual({ apiVersion: 'v3', statusCode: 200 });
    expect(okResponse({ device: { name: 'd' } }, 200, 'r-1')).toEqual({
      apiVersion: 'v3',
      requestId: 'r-1',
      statusCode: 200,
      device: { name: 'd' },
    });
    expect(idResponse('id-1')).toEqual({ apiVersion: 'v3', statusCode: 201, id: 'id-1' });
    expect(countResponse(42, { devices: [] })).toEqual({ apiVersion: 'v3', statusCode: 200, totalCount: 42, devices: [] });
    expect(errorResponse(404, 'device x not found')).toEqual({ apiVersion: 'v3', statusCode: 404, message: 'device x not found' });
  });

  it('multiStatus gives each item its own statusCode, in order, one at a time', async () => {
    const seen: string[] = [];
    const failed: number[] = [];
    const out = await multiStatus(
      [{ requestId: '11111111-1111-4111-8111-111111111111', name: 'one' }, { requestId: '22222222-2222-4222-8222-222222222222', name: 'one' }, { name: 'boom' }],
      async (req) => {
        if (req.name === 'boom') throw new Error('db exploded');
        if (seen.includes(req.name)) throw new GatewayError(ErrorKind.DuplicateName, `device ${req.name} already exists`);
        seen.push(req.name);
        return { id: `id-${req.name}` };
      },
      { onError: (_err, status) => failed.push(status) },
    );
    expect(out).toEqual([
      { apiVersion: 'v3', requestId: '11111111-1111-4111-8111-111111111111', statusCode: 201, id: 'id-one' },
      { apiVersion: 'v3', requestId: '22222222-2222-4222-8222-222222222222', statusCode: 409, message: 'device one already exists' },
      { apiVersion: 'v3', statusCode: 500, message: 'Internal Server Error' },
    ]);
    expect(failed).toEqual([409, 500]);
  });

  it('multiStatus can report updates as 200', async () => {
    expect(await multiStatus([{ requestId: '33333333-3333-4333-8333-333333333333' }], async () => undefined, { successStatus: 200 })).toEqual([
      { apiVersion: 'v3', requestId: '33333333-3333-4333-8333-333333333333', statusCode: 200 },
    ]);
  });
});
