/**
 * OPC UA status codes -> the gateway's error kinds, with the node id, device
 * and resource in the message. Bad* on one node fails that operation; the
 * connection-level ones (session or channel gone) also make the pool reconnect.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { StatusCode } from 'node-opcua-client';

const KIND_BY_NAME: Record<string, ErrorKind> = {
  BadNodeIdUnknown: ErrorKind.ContractInvalid,
  BadNodeIdInvalid: ErrorKind.ContractInvalid,
  BadAttributeIdInvalid: ErrorKind.ContractInvalid,
  BadTypeMismatch: ErrorKind.ContractInvalid,
  BadOutOfRange: ErrorKind.ContractInvalid,
  BadInvalidArgument: ErrorKind.ContractInvalid,
  BadArgumentsMissing: ErrorKind.ContractInvalid,
  BadTooManyArguments: ErrorKind.ContractInvalid,
  BadMethodInvalid: ErrorKind.ContractInvalid,
  BadNotImplemented: ErrorKind.ContractInvalid,
  BadIndexRangeInvalid: ErrorKind.ContractInvalid,
  BadDataEncodingUnsupported: ErrorKind.ContractInvalid,
  BadNotReadable: ErrorKind.NotAllowed,
  BadNotWritable: ErrorKind.NotAllowed,
  BadWriteNotSupported: ErrorKind.NotAllowed,
  BadUserAccessDenied: ErrorKind.NotAllowed,
  BadNotExecutable: ErrorKind.NotAllowed,
  BadTimeout: ErrorKind.Timeout,
  BadRequestTimeout: ErrorKind.Timeout,
  BadTooManyOperations: ErrorKind.ServiceUnavailable,
  BadTooManySessions: ErrorKind.ServiceUnavailable,
  BadServerHalted: ErrorKind.ServiceUnavailable,
  BadResourceUnavailable: ErrorKind.ServiceUnavailable,
  BadServerTooBusy: ErrorKind.ServiceUnavailable,
};

/** Statuses after which the session cannot be used any more. */
const SESSION_GONE = new Set([
  'BadSessionIdInvalid',
  'BadSessionClosed',
  'BadSessionNotActivated',
  'BadSecureChannelClosed',
  'BadSecureChannelIdInvalid',
  'BadConnectionClosed',
  'BadServerNotConnected',
  'BadCommunicationError',
  'BadNoCommunication',
  'BadNotConnected',
  'BadServerHalted',
]);

export function isBad(status: StatusCode | undefined): boolean {
  return status !== undefined && status.isNotGood() && !status.name.startsWith('Uncertain');
}

export function kindOfStatus(name: string): ErrorKind {
  return KIND_BY_NAME[name] ?? ErrorKind.Communication;
}

/** A Bad status on one operation as a GatewayError: `device "D" resource "R" node ns=3;i=1001: BadNodeIdUnknown (...)`. */
export function statusError(status: StatusCode, where: string): GatewayError {
  const why = status.description ? ` (${status.description.replace(/\.$/, '')})` : '';
  return new GatewayError(kindOfStatus(status.name), `${where}: ${status.name}${why}`);
}

/** Whether an error thrown by a service call means the session or connection is gone. */
export function isSessionLost(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  for (const name of SESSION_GONE) if (message.includes(name)) return true;
  return /premature|socket|ECONNRESET|EPIPE|has been closed|connection.*(closed|lost)|not connected|session.*(closed|invalid)|channel.*closed/i.test(message);
}
