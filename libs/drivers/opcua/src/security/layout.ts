/**
 * Where things are in the PKI folder (node-opcua's layout), known without
 * loading node-opcua: the trust list can be shown and the gateway's
 * certificate downloaded on an idle gateway, whose certificate manager
 * (about 55 MB) loads with the first device or the first change to the list.
 */
import { join, resolve } from 'node:path';
import type { SecuritySettings } from './types';

/** The certificate made on first use, under own/certs. */
export const OWN_CERTIFICATE = 'gateway_certificate.pem';

export interface PkiFolders {
  trustedFolder: string;
  rejectedFolder: string;
}

export function pkiFolders(pkiDir: string): PkiFolders {
  const root = resolve(pkiDir);
  return { trustedFolder: join(root, 'trusted', 'certs'), rejectedFolder: join(root, 'rejected') };
}

/** The gateway's certificate file: EdgeX's CertFile when set, else the one made on first use. */
export function ownCertificateFile(settings: Pick<SecuritySettings, 'pkiDir' | 'certFile'>): string {
  return settings.certFile ? resolve(settings.certFile) : join(resolve(settings.pkiDir), 'own', 'certs', OWN_CERTIFICATE);
}
