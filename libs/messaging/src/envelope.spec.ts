import { decodeEnvelope, encodeEnvelope, EnvelopeDecodeError, newEnvelope } from './envelope';

describe('envelope', () => {
  it('round-trips every field', () => {
    const env = newEnvelope({ a: [1, 2] }, { requestID: 'r', correlationID: 'c', errorCode: 1, queryParams: { q: 'v' } });
    const decoded = decodeEnvelope(encodeEnvelope(env), 'x/y');
    expect(decoded).toEqual({ ok: true, envelope: { ...env, receivedTopic: 'x/y' } });
  });

  it('defaults apiVersion, ids, errorCode and contentType', () => {
    const env = newEnvelope(1);
    expect(env).toMatchObject({ apiVersion: 'v3', requestID: '', errorCode: 0, contentType: 'application/json' });
    expect(env.correlationID).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeEnvelope('{"payload":null}')).toMatchObject({ ok: true, envelope: { apiVersion: 'v3', payload: null, errorCode: 0 } });
  });

  it.each([
    ['not json', undefined, /not JSON/],
    ['[1]', undefined, /expected a JSON object, got an array/],
    ['"text"', undefined, /got string/],
    ['{}', 'payload', /is missing/],
    ['{"payload":1,"errorCode":"0"}', 'errorCode', /must be an integer, got string/],
    ['{"payload":1,"requestID":5}', 'requestID', /must be a string/],
    ['{"payload":1,"queryParams":{"a":1}}', 'queryParams', /object of strings/],
  ])('names what is wrong with %s', (text, field, reason) => {
    const result = decodeEnvelope(Buffer.from(text));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(EnvelopeDecodeError);
    expect(result.error.field).toBe(field);
    expect(result.error.message).toMatch(reason);
  });
});
