/**
 * What the trust list shows of a certificate, read with Node's own X.509
 * parser: thumbprint (SHA-1 of the DER, lowercase hex, as node-opcua names
 * files), subject, validity, application URI.
 */
import { createHash, X509Certificate } from 'node:crypto';

export interface CertificateInfo {
  thumbprint: string;
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  applicationUri?: string;
  /** DNS names and IP addresses of the subjectAltName. */
  hosts: string[];
  der: Buffer;
}

export function describeCertificate(data: Buffer): CertificateInfo {
  const certificate = new X509Certificate(data);
  const der = Buffer.from(certificate.raw);
  const san = (certificate.subjectAltName ?? '').split(/,\s*/).filter(Boolean);
  const valuesOf = (...kinds: string[]) => san.filter((entry) => kinds.some((k) => entry.startsWith(`${k}:`))).map((entry) => entry.slice(entry.indexOf(':') + 1));
  return {
    thumbprint: createHash('sha1').update(der).digest('hex'),
    subject: oneLine(certificate.subject),
    issuer: oneLine(certificate.issuer),
    validFrom: new Date(certificate.validFrom).toISOString(),
    validTo: new Date(certificate.validTo).toISOString(),
    applicationUri: valuesOf('URI')[0],
    hosts: valuesOf('DNS', 'IP Address'),
    der,
  };
}

/** Node prints a distinguished name one attribute per line: `CN=x\nO=y` → `CN=x, O=y`. */
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}
