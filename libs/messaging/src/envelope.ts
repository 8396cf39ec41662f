import { randomUUID } from 'node:crypto';
import { API_VERSION, ErrorKind, GatewayError } from '@gw/contracts';
import type { MessageEnvelope } from './message-bus';

export const JSON_CONTENT_TYPE = 'application/json';

export interface NewEnvelopeOptions {
  correlationID?: string;
  requestID?: string;
  contentType?: string;
  errorCode?: number;
  queryParams?: Record<string, string>;
}

/** An envelope ready to publish; receivedTopic is filled in by the receiving side. */
export function newEnvelope<P>(payload: P, options: NewEnvelopeOptions = {}): MessageEnvelope<P> {
  const envelope: MessageEnvelope<P> = {
    apiVersion: API_VERSION,
    receivedTopic: '',
    correlationID: options.correlationID ?? randomUUID(),
    requestID: options.requestID ?? '',
    errorCode: options.errorCode ?? 0,
    payload,
    contentType: options.contentType ?? JSON_CONTENT_TYPE,
  };
  if (options.queryParams) envelope.queryParams = options.queryParams;
  return envelope;
}

/** JSON with the payload inline, as EdgeX v3 consumers expect. */
export function encodeEnvelope(envelope: MessageEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

/**
 * A wire message that is not an envelope. Subscribers log and count it and move
 * on: one bad producer must not stop a consumer.
 */
export class EnvelopeDecodeError extends GatewayError {
  constructor(
    readonly reason: string,
    readonly field?: string,
  ) {
    super(ErrorKind.ContractInvalid, `malformed message envelope: ${field ? field + ': ' : ''}${reason}`);
    this.name = 'EnvelopeDecodeError';
  }
}

export type DecodeResult = { ok: true; envelope: MessageEnvelope } | { ok: false; error: EnvelopeDecodeError };

type Json = Record<string, unknown>;

/**
 * Parses and checks an envelope. Only `payload` is required: optional fields
 * another EdgeX producer left out get EdgeX's defaults, but a field that is
 * present with the wrong type is refused rather than guessed at.
 */
export function decodeEnvelope(data: Buffer | string, receivedTopic?: string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch (err) {
    return fail(`not JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return fail(`expected a JSON object, got ${describe(parsed)}`);
  }
  const raw = parsed as Json;
  if (!('payload' in raw)) return fail('is missing', 'payload');

  const checks: Array<[string, (v: unknown) => boolean, string]> = [
    ['apiVersion', isString, 'a string'],
    ['receivedTopic', isString, 'a string'],
    ['correlationID', isString, 'a string'],
    ['requestID', isString, 'a string'],
    ['errorCode', Number.isInteger, 'an integer'],
    ['contentType', isString, 'a string'],
    ['queryParams', isStringRecord, 'an object of strings'],
  ];
  for (const [field, valid, expected] of checks) {
    const value = raw[field];
    if (value !== undefined && value !== null && !valid(value)) {
      return fail(`must be ${expected}, got ${describe(value)}`, field);
    }
  }

  const envelope: MessageEnvelope = {
    apiVersion: (raw.apiVersion as string | undefined) ?? API_VERSION,
    receivedTopic: receivedTopic ?? (raw.receivedTopic as string | undefined) ?? '',
    correlationID: (raw.correlationID as string | undefined) ?? '',
    requestID: (raw.requestID as string | undefined) ?? '',
    errorCode: (raw.errorCode as number | undefined) ?? 0,
    payload: raw.payload,
    contentType: (raw.contentType as string | undefined) ?? JSON_CONTENT_TYPE,
  };
  if (raw.queryParams) envelope.queryParams = raw.queryParams as Record<string, string>;
  return { ok: true, envelope };
}

function fail(reason: string, field?: string): DecodeResult {
  return { ok: false, error: new EnvelopeDecodeError(reason, field) };
}

function isString(value: unknown): boolean {
  return typeof value === 'string';
}

function isStringRecord(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
