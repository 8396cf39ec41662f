/**
 * The three routes every EdgeX service answers (core-metadata.yaml: /ping,
 * /version, /config), and /ready (ours: readiness for probes). Ping and version also carry statusCode, as EdgeX's Go
 * services send them (their DTOs embed BaseResponse).
 */
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { API_VERSION } from '@gw/contracts';
import { redactConfig } from './redact';
import { readinessReport } from './startup/readiness';
import { SERVICE_INFO, ServiceInfo } from './tokens';

@Controller()
export class ServiceInfoController {
  constructor(@Inject(SERVICE_INFO) private readonly info: ServiceInfo) {}

  @Get('ping')
  ping() {
    // RFC 1123 as EdgeX documents it ("Mon, 02 Jan 2006 15:04:05 GMT").
    const timestamp = new Date().toUTCString();
    return { apiVersion: API_VERSION, statusCode: 200, timestamp, serviceName: this.info.serviceName };
  }

  /** Ours, not EdgeX's: 200 when the service can do its work, 503 naming what is missing (open, like ping). */
  @Get('ready')
  ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const report = readinessReport(this.info.serviceName, this.info.readiness ?? []);
    reply.status(report.statusCode);
    return report;
  }

  @Get('version')
  version() {
    return { apiVersion: API_VERSION, statusCode: 200, version: this.info.version, serviceName: this.info.serviceName };
  }

  @Get('config')
  config() {
    return {
      apiVersion: API_VERSION,
      config: redactConfig(this.info.config, this.info.secretKeys, this.info.configKeys),
      serviceName: this.info.serviceName,
    };
  }
}
