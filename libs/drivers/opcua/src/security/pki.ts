/**
 * The gateway's PKI folder (GW_OPCUA_PKI_DIR): node-opcua's certificate
 * manager rooted there (own/, trusted/, rejected/, issuers/), and the
 * gateway's application certificate, made on first use (the first device or trust-list call) in pure JS (no
 * openssl) or taken from GW_OPCUA_CERT_FILE / GW_OPCUA_KEY_FILE (EdgeX's
 * OPCUAServer CertFile / KeyFile). A server certificate the gateway has not
 * been told to trust lands in rejected/ and the connection fails.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { describeCertificate } from './certificate-info';
import { OWN_CERTIFICATE, pkiFolders } from './layout';
import type { Pki, RefusedCertificate, SecurityLogger, SecuritySettings } from './types';

const VALIDITY_DAYS = 10 * 365;

export async function createPki(settings: SecuritySettings, logger?: SecurityLogger): Promise<Pki> {
  const rootDir = resolve(settings.pkiDir);
  mkdirSync(rootDir, { recursive: true, mode: 0o700 });
  const certificateManager = new OPCUACertificateManager({ rootFolder: rootDir, automaticallyAcceptUnknownCertificate: false, keySize: 2048 });
  try {
    await certificateManager.initialize();
    const layout = pkiFolders(rootDir);
    if (layout.trustedFolder !== certificateManager.trustedFolder || layout.rejectedFolder !== certificateManager.rejectedFolder) {
      throw new GatewayError(ErrorKind.Unknown, `node-opcua's PKI layout changed (trusted ${certificateManager.trustedFolder}, rejected ${certificateManager.rejectedFolder}): update src/security/layout.ts`);
    }
    const own = settings.certFile || settings.keyFile ? configuredCertificate(settings, rootDir) : await madeCertificate(certificateManager, settings, logger);
    const info = describeCertificate(readFileSync(own.certificateFile));
    const applicationUri = info.applicationUri ?? `urn:${hostname()}:${settings.applicationName}`;
    if (!info.applicationUri) logger?.warn({ certificate: own.certificateFile }, 'the OPC UA certificate has no URI in its subjectAltName: servers may refuse it');
    const refused = new Map<string, RefusedCertificate>();
    return {
      certificateManager,
      ...own,
      applicationUri,
      applicationName: settings.applicationName,
      rootDir,
      refused,
      dispose: () => certificateManager.dispose(),
    };
  } catch (err) {
    await certificateManager.dispose().catch(() => undefined);
    throw err;
  }
}

async function madeCertificate(manager: OPCUACertificateManager, settings: SecuritySettings, logger?: SecurityLogger) {
  const certificateFile = join(manager.ownCertFolder, OWN_CERTIFICATE);
  if (!existsSync(certificateFile)) {
    const host = hostname();
    await manager.createSelfSignedCertificate({
      applicationUri: `urn:${host}:${settings.applicationName}`,
      subject: `/CN=${settings.applicationName}@${host}`,
      dns: [host],
      startDate: new Date(),
      validity: VALIDITY_DAYS,
      outputFile: certificateFile,
    });
    const made = describeCertificate(readFileSync(certificateFile));
    logger?.info({ certificate: certificateFile, thumbprint: made.thumbprint, validTo: made.validTo }, 'created the gateway OPC UA application certificate');
  }
  return { certificateFile, privateKeyFile: manager.privateKey };
}

/** EdgeX's CertFile/KeyFile: both or neither, the key the certificate's. A DER certificate gets a PEM copy in the PKI folder. */
function configuredCertificate(settings: SecuritySettings, rootDir: string) {
  const fail = (why: string): never => {
    throw new GatewayError(ErrorKind.Config, `invalid configuration: ${why}`);
  };
  if (!settings.certFile || !settings.keyFile) fail('GW_OPCUA_CERT_FILE and GW_OPCUA_KEY_FILE are set together (or neither: the gateway makes its own)');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(readFileSync(settings.certFile!));
  } catch (err) {
    return fail(`GW_OPCUA_CERT_FILE: ${settings.certFile} is not a readable PEM or DER certificate (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(readFileSync(settings.keyFile!)))) fail(`GW_OPCUA_KEY_FILE: ${settings.keyFile} is not the key of ${settings.certFile}`);
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    fail(`GW_OPCUA_KEY_FILE: ${settings.keyFile} is not a readable private key (${(err as NodeJS.ErrnoException).code ?? 'not a key'})`);
  }
  let certificateFile = resolve(settings.certFile!);
  if (!readFileSync(certificateFile, 'latin1').includes('-----BEGIN CERTIFICATE-----')) {
    certificateFile = join(rootDir, 'own', 'certs', 'configured_certificate.pem');
    mkdirSync(join(rootDir, 'own', 'certs'), { recursive: true });
    writeFileSync(certificateFile, certificate.toString());
  }
  return { certificateFile, privateKeyFile: resolve(settings.keyFile!) };
}
