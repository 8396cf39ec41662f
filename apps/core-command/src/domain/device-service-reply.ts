/**
 * Turns a device service's answer envelope into core-command's result: the
 * success payload as it is, or a GatewayError whose kind gives back the
 * device service's status code (400, 404, 405, 423 ... pass through).
 */
import { API_VERSION, ErrorKind, GatewayError } from '@gw/contracts';
import type { MessageEnvelope } from '@gw/messaging';

/** The HTTP statuses device services answer with, back into kinds; the service-kit table maps them out again. */
const KIND_BY_STATUS: Record<number, ErrorKind> = {
  400: ErrorKind.ContractInvalid,
  401: ErrorKind.Unauthorized,
  404: ErrorKind.EntityNotFound,
  405: ErrorKind.NotAllowed,
  409: ErrorKind.StatusConflict,
  413: ErrorKind.PayloadTooLarge,
  416: ErrorKind.RangeNotSatisfiable,
  423: ErrorKind.ServiceLocked,
  500: ErrorKind.Unknown,
  503: ErrorKind.ServiceUnavailable,
  504: ErrorKind.Timeout,
};

export function kindForStatus(statusCode: number): ErrorKind {
  const kind = KIND_BY_STATUS[statusCode];
  if (kind) return kind;
  // Statuses without a kind of their own keep at least their class.
  if (statusCode >= 400 && statusCode < 500) return ErrorKind.ContractInvalid;
  return ErrorKind.Communication;
}

/** What the device service was asked, for messages that say which command failed where. */
export interface CommandLabel {
  serviceName: string;
  deviceName: string;
  commandName: string;
  method: 'get' | 'set';
}

export type SuccessPayload = Record<string, unknown> & { apiVersion: string; statusCode: number };

export function readReply(reply: MessageEnvelope, label: CommandLabel): SuccessPayload {
  const what = `${label.method} '${label.commandName}' on device '${label.deviceName}'`;
  const payload = reply.payload;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new GatewayError(
      ErrorKind.Communication,
      `${what}: device service '${label.serviceName}' answered with a payload that is not a JSON object`,
    );
  }
  const body = payload as Record<string, unknown>;
  if (reply.errorCode === 0) return { apiVersion: API_VERSION, statusCode: 200, ...body } as SuccessPayload;
  const statusCode = typeof body.statusCode === 'number' ? body.statusCode : 500;
  const message = typeof body.message === 'string' && body.message ? body.message : `failed with status ${statusCode}`;
  throw new GatewayError(kindForStatus(statusCode), `${what} failed in device service '${label.serviceName}': ${message}`);
}
