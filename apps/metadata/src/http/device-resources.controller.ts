import { Controller, Get, Param } from '@nestjs/common';
import { ProfilesService } from '../domain/profiles.service';
import { okResponse } from '@gw/service-kit';

@Controller('deviceresource')
export class DeviceResourcesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get('profile/:profileName/resource/:resourceName')
  async get(@Param('profileName') profileName: string, @Param('resourceName') resourceName: string) {
    return okResponse({ resource: await this.profiles.resource(profileName, resourceName) });
  }
}
