/**
 * What the security side shares with the session pool, the REST routes and
 * discovery, as types only: importing this module loads no OPC UA library.
 */
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import type { OpcuaSettings } from '../descriptor';

/** The gateway's PKI: its application certificate and the trust list of server certificates. */
export interface Pki {
  certificateManager: OPCUACertificateManager;
  /** The gateway's certificate (PEM or DER) and private key (PEM). */
  certificateFile: string;
  privateKeyFile: string;
  /** Read from the certificate's subjectAltName, so it always matches what servers check. */
  applicationUri: string;
  applicationName: string;
  /** The PKI folder: own/, trusted/, rejected/, issuers/. */
  rootDir: string;
  /** Server certificates the gateway refused, by the endpoint key a client connected with (see client-options). */
  readonly refused: Map<string, RefusedCertificate>;
  dispose(): Promise<void>;
}

export interface RefusedCertificate {
  thumbprint: string;
  subject: string;
  /** What the trust check said: BadCertificateUntrusted, BadCertificateTimeInvalid... */
  status: string;
}

/** The part of a device's parsed `opcua` protocol properties that security reads (the session pool's OpcuaEndpoint). */
export interface EndpointSecurityInput {
  url: string;
  /** The pool's session key for this endpoint (url + security + identity). */
  key: string;
  securityPolicy?: string;
  securityMode?: string;
  username?: string;
  /** Literal, or a reference `${env:NAME}` / `${file:/path}`. */
  password?: string;
  /** X.509 user identity: certificate and private key files (PEM or DER / PEM). */
  userCertFile?: string;
  userKeyFile?: string;
}

export type SecuritySettings = Pick<OpcuaSettings, 'policy' | 'mode' | 'certFile' | 'keyFile' | 'pkiDir' | 'applicationName'>;

export interface SecurityLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}
