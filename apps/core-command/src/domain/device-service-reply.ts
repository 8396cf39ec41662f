/**
 * Turns a device service's answer envelope into core-command's result: the
 * success payload as it is, or a GatewayError whose kind gives back the
 * device service's status code (400, 404, 405, 423 ... pass through).
 */
import { API_VERSION, ErrorKind, GatewayError, errorKindForStatus } from '@gw/contracts';
import type { MessageEnvelope } from '@gw/messaging';

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
  throw new GatewayError(errorKindForStatus(statusCode), `${what} failed in device service '${label.serviceName}': ${message}`);
}
