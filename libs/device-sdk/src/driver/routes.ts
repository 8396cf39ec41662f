/**
 * Driver-specific REST routes: an optional ProtocolDriver capability for what
 * only one protocol has (OPC UA's certificate trust list and browsing, ZigBee
 * permit join, BLE scans). The device service serves them under
 * `/api/v3/<driver name>/<path>` with the API key, the EdgeX error envelope and
 * the body limit of every other route. Framework-free on purpose: this module
 * is part of the light driver entry.
 */
import type { z } from 'zod';

export type DriverRouteMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** What a handler gets: path parameters as given, query and body as their schemas made them. */
export interface DriverRouteRequest<Query = unknown, Body = unknown> {
  params: Record<string, string>;
  query: Query;
  body: Body;
}

/**
 * A JSON answer, sent inside the EdgeX envelope (`apiVersion`, `statusCode`
 * added), or content of its own type (a certificate, a YAML draft) sent as is.
 */
export type DriverReply =
  | { json: Record<string, unknown>; status?: number }
  | { content: string | Uint8Array; contentType: string; status?: number; fileName?: string };

/** What a route answers, for its service's OpenAPI document (GET /api/v3/openapi.json). */
export interface DriverRouteAnswer {
  /** The JSON answer's fields inside the EdgeX envelope (`{certificates, own}`); without it the document shows an open envelope. */
  json?: z.AnyZodObject;
  /** Media types of the files the route may send instead (`application/x-yaml`). */
  fileTypes?: readonly string[];
  /** The success status (default 200). */
  status?: number;
  /** Error statuses it may answer besides 401 and 500 (and 400, 413, 415 with a body): its GatewayError kinds. */
  errors?: readonly number[];
}

export interface DriverRoute<Query = unknown, Body = unknown> {
  method: DriverRouteMethod;
  /** Below the driver's prefix, `:name` for a path parameter: `certificates/:thumbprint/trust`. */
  path: string;
  /** Validates (and may transform) the query string; an issue is a 400 naming the parameter. */
  query?: z.ZodType<Query, z.ZodTypeDef, unknown>;
  /** Validates a JSON body; without one the route takes no body. An issue is a 400 naming the field. */
  body?: z.ZodType<Body, z.ZodTypeDef, unknown>;
  /** Largest body accepted, in bytes (default DEFAULT_DRIVER_ROUTE_BODY); more is a 413. */
  maxBody?: number;
  /** For the document; without it the route is shown as answering any envelope, 200, and every driver error status. */
  answer?: DriverRouteAnswer;
  /** Throws a GatewayError whose kind decides the status (ContractInvalid 400, EntityNotFound 404, ...). */
  handle(request: DriverRouteRequest<Query, Body>): Promise<DriverReply>;
}

/** Driver routes take small bodies unless they say otherwise. */
export const DEFAULT_DRIVER_ROUTE_BODY = 64 * 1024;

/** Declares a route with its handler's query and body typed by its schemas. */
export function driverRoute<Query = unknown, Body = unknown>(route: DriverRoute<Query, Body>): DriverRoute {
  return route as unknown as DriverRoute;
}
