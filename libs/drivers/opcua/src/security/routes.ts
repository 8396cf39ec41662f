/**
 * REST routes of the trust list (served as /api/v3/opcua/...):
 *   GET    certificates                      trusted and rejected server certificates, and the gateway's own
 *   GET    certificates/own?format=der|pem   the gateway's certificate, to import into a server
 *   PUT    certificates/{thumbprint}/trust   moves a certificate to trusted/ (the next connection accepts it)
 *   PUT    certificates/{thumbprint}/reject  moves it to rejected/
 *   DELETE certificates/{thumbprint}         forgets it
 * Light: no OPC UA library at load. Reading (the list, the own certificate)
 * reads the PKI folder directly once the gateway's certificate exists; the
 * PKI (node-opcua's certificate manager, about 55 MB) is made by the first
 * change, or the first read before the certificate exists, if no device has
 * made it yet.
 */
import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { driverRoute, DriverRoute } from '@gw/device-sdk/driver';
import { describeCertificate } from './certificate-info';
import { ownCertificateFile, PkiFolders, pkiFolders } from './layout';
import { listCertificates, rejectCertificate, removeCertificate, trustCertificate } from './trust-list';
import type { Pki, SecurityLogger, SecuritySettings } from './types';

export interface SecurityRouteDeps {
  /** The driver's one PKI, made on first use. */
  pki(): Promise<Pki>;
  logger: SecurityLogger;
  /** GW_OPCUA_PKI_DIR and CERT_FILE: with them, reads need no PKI made. */
  settings?: Pick<SecuritySettings, 'pkiDir' | 'certFile'>;
}

const thumbprintParam = (params: Record<string, string>) => params.thumbprint ?? '';

export function securityRoutes(deps: SecurityRouteDeps): DriverRoute[] {
  /** The folders and the gateway's certificate, from the files when they are there, else from the PKI made now. */
  const own = async (): Promise<{ folders: PkiFolders; certificateFile: string }> => {
    const { settings } = deps;
    if (settings && existsSync(ownCertificateFile(settings))) return { folders: pkiFolders(settings.pkiDir), certificateFile: ownCertificateFile(settings) };
    const pki = await deps.pki();
    return { folders: pki.certificateManager, certificateFile: pki.certificateFile };
  };
  return [
    driverRoute({
      method: 'GET',
      path: 'certificates',
      answer: { json: z.object({ certificates: z.array(z.record(z.string(), z.unknown())), own: z.record(z.string(), z.unknown()) }).strict(), errors: [400, 503] },
      handle: async () => {
        const { folders, certificateFile } = await own();
        const info = describeCertificate(readFileSync(certificateFile));
        return {
          json: {
            certificates: listCertificates(folders),
            own: { thumbprint: info.thumbprint, subject: info.subject, applicationUri: info.applicationUri, validFrom: info.validFrom, validTo: info.validTo },
          },
        };
      },
    }),
    driverRoute({
      method: 'GET',
      path: 'certificates/own',
      answer: { fileTypes: ['application/pkix-cert', 'application/x-pem-file'], errors: [400, 503] },
      query: z.object({ format: z.enum(['der', 'pem']).default('der') }).strict(),
      handle: async ({ query }) => {
        const info = describeCertificate(readFileSync((await own()).certificateFile));
        return query.format === 'pem'
          ? { content: new X509Certificate(info.der).toString(), contentType: 'application/x-pem-file', fileName: 'edge-gateway-opcua.pem' }
          : { content: info.der, contentType: 'application/pkix-cert', fileName: 'edge-gateway-opcua.der' };
      },
    }),
    driverRoute({
      method: 'PUT',
      path: 'certificates/:thumbprint/trust',
      answer: { json: z.object({ certificate: z.record(z.string(), z.unknown()) }).strict(), errors: [400, 404, 503] },
      handle: async ({ params }) => {
        const certificate = await trustCertificate(await deps.pki(), thumbprintParam(params));
        deps.logger.info({ thumbprint: certificate.thumbprint, subject: certificate.subject }, 'OPC UA server certificate trusted');
        return { json: { certificate } };
      },
    }),
    driverRoute({
      method: 'PUT',
      path: 'certificates/:thumbprint/reject',
      answer: { json: z.object({ certificate: z.record(z.string(), z.unknown()) }).strict(), errors: [400, 404, 503] },
      handle: async ({ params }) => {
        const certificate = await rejectCertificate(await deps.pki(), thumbprintParam(params));
        deps.logger.info({ thumbprint: certificate.thumbprint, subject: certificate.subject }, 'OPC UA server certificate rejected');
        return { json: { certificate } };
      },
    }),
    driverRoute({
      method: 'DELETE',
      path: 'certificates/:thumbprint',
      answer: { json: z.object({}).strict(), errors: [400, 404, 503] },
      handle: async ({ params }) => {
        await removeCertificate(await deps.pki(), thumbprintParam(params));
        deps.logger.info({ thumbprint: thumbprintParam(params) }, 'OPC UA server certificate removed');
        return { json: {} };
      },
    }),
  ];
}
