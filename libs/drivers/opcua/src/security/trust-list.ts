/**
 * The trust list as an operator manages it: the server certificates in the
 * PKI's trusted/ and rejected/ folders, listed with what identifies them, and
 * moved between the two (or removed) by thumbprint through node-opcua's
 * certificate manager, which a connection consults.
 */
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { CertificateInfo, describeCertificate } from './certificate-info';
import type { PkiFolders } from './layout';
import type { Pki } from './types';

export type TrustStatus = 'trusted' | 'rejected';

export interface ListedCertificate {
  thumbprint: string;
  status: TrustStatus;
  subject: string;
  issuer: string;
  applicationUri?: string;
  hosts: string[];
  validFrom: string;
  validTo: string;
  /** valid, expired or notYetValid, now. */
  validity: 'valid' | 'expired' | 'notYetValid';
}

/** At most this many certificates are read per folder (a trust list is managed by hand; rejected/ grows with every unknown server). */
export const MAX_LISTED = 1000;
const THUMBPRINT = /^[0-9a-f]{40}$/;

interface Stored {
  info: CertificateInfo;
  status: TrustStatus;
  file: string;
}

/** The trusted and rejected certificates; `folders` may be a Pki's certificate manager or pkiFolders(settings.pkiDir). */
export function listCertificates(folders: PkiFolders, now = new Date()): ListedCertificate[] {
  return stored(folders)
    .map(({ info, status }) => ({
      thumbprint: info.thumbprint,
      status,
      subject: info.subject,
      issuer: info.issuer,
      ...(info.applicationUri ? { applicationUri: info.applicationUri } : {}),
      hosts: info.hosts,
      validFrom: info.validFrom,
      validTo: info.validTo,
      validity: validity(info, now),
    }))
    .sort((a, b) => a.status.localeCompare(b.status) || a.subject.localeCompare(b.subject));
}

export async function trustCertificate(pki: Pki, thumbprint: string): Promise<ListedCertificate> {
  const found = find(pki, thumbprint);
  if (found.status !== 'trusted') await pki.certificateManager.trustCertificate(found.info.der);
  return listed(pki, thumbprint);
}

export async function rejectCertificate(pki: Pki, thumbprint: string): Promise<ListedCertificate> {
  const found = find(pki, thumbprint);
  if (found.status !== 'rejected') await pki.certificateManager.rejectCertificate(found.info.der);
  return listed(pki, thumbprint);
}

/** Forgets a certificate: a server presenting it again lands in rejected/ again. */
export async function removeCertificate(pki: Pki, thumbprint: string): Promise<void> {
  const found = find(pki, thumbprint);
  if (found.status === 'trusted') await pki.certificateManager.removeTrustedCertificate(found.info.thumbprint);
  for (const copy of stored(pki.certificateManager).filter((s) => s.info.thumbprint === found.info.thumbprint)) unlinkSync(copy.file);
  await pki.certificateManager.reloadCertificates();
}

function listed(pki: Pki, thumbprint: string): ListedCertificate {
  const wanted = normalize(thumbprint);
  const entry = listCertificates(pki.certificateManager).find((c) => c.thumbprint === wanted);
  if (!entry) throw new GatewayError(ErrorKind.Unknown, `certificate ${wanted} vanished from the PKI folder`);
  return entry;
}

function find(pki: Pki, thumbprint: string): Stored {
  const wanted = normalize(thumbprint);
  const found = stored(pki.certificateManager).filter((s) => s.info.thumbprint === wanted);
  // Both folders holding it (a copy by hand): trusted wins, as it does for node-opcua.
  const entry = found.find((s) => s.status === 'trusted') ?? found[0];
  if (!entry) throw new GatewayError(ErrorKind.EntityNotFound, `no certificate with thumbprint ${wanted} in the trusted or rejected list (GET /api/v3/opcua/certificates lists them)`);
  return entry;
}

function normalize(thumbprint: string): string {
  const hex = thumbprint.replace(/:/g, '').toLowerCase();
  if (!THUMBPRINT.test(hex)) throw new GatewayError(ErrorKind.ContractInvalid, `thumbprint "${thumbprint.slice(0, 80)}" is not 40 hexadecimal digits (the SHA-1 of the certificate)`);
  return hex;
}

function stored(folders: PkiFolders): Stored[] {
  return [...readFolder(folders.trustedFolder, 'trusted'), ...readFolder(folders.rejectedFolder, 'rejected')];
}

function readFolder(folder: string, status: TrustStatus): Stored[] {
  let names: string[];
  try {
    names = readdirSync(folder).filter((n) => /\.(pem|der|crt|cer)$/i.test(n)).sort().slice(0, MAX_LISTED);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const file = join(folder, name);
    try {
      return [{ info: describeCertificate(readFileSync(file)), status, file }];
    } catch {
      return []; // not a certificate (or half written): not ours to judge here
    }
  });
}

function validity(info: CertificateInfo, now: Date): ListedCertificate['validity'] {
  if (now < new Date(info.validFrom)) return 'notYetValid';
  return now > new Date(info.validTo) ? 'expired' : 'valid';
}
