import { Body, Controller, Delete, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { edgexKey, ErrorKind, GatewayError, requestIdIssue } from '@gw/contracts';
import { okResponse } from '@gw/service-kit';
import { ProfileScan } from '../profile-scan';

/**
 * EdgeX device-sdk 4: POST /api/v3/profilescan {deviceName, profileName?,
 * options?} answers 202 and scans in the background (501 when the driver
 * cannot scan, 404 for a device of another service, 409 while one runs, 423
 * when locked); DELETE /profilescan/device/name/{name} stops it.
 */
@Controller('profilescan')
export class ProfileScanController {
  constructor(@Inject(ProfileScan) private readonly scans: ProfileScan) {}

  @Post()
  @HttpCode(202)
  start(@Body() body: unknown) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new GatewayError(ErrorKind.ContractInvalid, 'request body: expected a ProfileScanRequest {apiVersion, deviceName, profileName?, options?}');
    }
    const request = body as Record<string, unknown>;
    const requestId = edgexKey(request, 'requestId');
    const badRequestId = requestIdIssue(requestId);
    if (badRequestId) throw new GatewayError(ErrorKind.ContractInvalid, `${badRequestId.path}: ${badRequestId.message}`);
    const deviceName = edgexKey(request, 'deviceName');
    if (typeof deviceName !== 'string' || !deviceName) throw new GatewayError(ErrorKind.ContractInvalid, 'deviceName: is required');
    const profileName = edgexKey(request, 'profileName');
    if (profileName !== undefined && typeof profileName !== 'string') throw new GatewayError(ErrorKind.ContractInvalid, 'profileName: must be a string');
    const options = edgexKey(request, 'options');
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      throw new GatewayError(ErrorKind.ContractInvalid, 'options: must be an object');
    }
    const scan = this.scans.start({ deviceName, profileName, options: options as Record<string, unknown> | undefined });
    scan.done.catch(() => undefined);
    return okResponse({ message: 'Device ProfileScan is triggered' }, 202, requestId as string | undefined);
  }

  @Delete('device/name/:name')
  stop(@Param('name') name: string) {
    this.scans.cancel(name);
    return okResponse();
  }
}
