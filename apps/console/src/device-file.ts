/**
 * A device definition file uploaded from the console (`deviceList:` YAML, as
 * in resources/devices): parsed here, so a mistake is answered with its
 * file:line, then the devices go to core-metadata in one batch, whose answer
 * per device (201, or 4xx with the reason) comes back as it is.
 */
import type { IncomingMessage } from 'node:http';
import { ErrorKind, GatewayError, parseDeviceList } from '@gw/contracts';
import { ItemOutcome, MetadataClient } from '@gw/clients';

const FILE_NAME = /^[^/\\\0]{1,255}$/;

export async function addDeviceFile(req: IncomingMessage, fileName: string, maxBody: number, metadata: MetadataClient): Promise<Array<{ name: string } & ItemOutcome>> {
  if (!FILE_NAME.test(fileName)) throw new GatewayError(ErrorKind.ContractInvalid, 'query parameter name: expected the file name');
  const text = await readBody(req, maxBody);
  const devices = parseDeviceList(text, { source: fileName });
  if (devices.length === 0) throw new GatewayError(ErrorKind.ContractInvalid, `${fileName}: deviceList is empty`);
  const outcomes = await metadata.addDevices(devices);
  return devices.map((device, i) => ({ name: device.name, ...outcomes[i] }));
}

async function readBody(req: IncomingMessage, maxBody: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw new GatewayError(ErrorKind.PayloadTooLarge, `the file is larger than ${maxBody} bytes (GW_MAX_BODY)`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
