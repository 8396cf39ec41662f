/**
 * Who the gateway is in a session: anonymous, a user name and password (the
 * Password protocol property, literal or a `${env:NAME}` / `${file:/path}`
 * reference), or an X.509 user certificate with its key (UserCertificate /
 * UserPrivateKey, file paths). Checked without the OPC UA library; problems
 * name the device and property, never the password.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { lookUpSecret, SecretSources } from '@gw/device-sdk/driver';
import type { EndpointSecurityInput } from './types';

export type UserIdentity =
  | { kind: 'anonymous' }
  | { kind: 'username'; userName: string; password: string }
  | { kind: 'certificate'; certificate: Buffer; privateKey: string };

const REFERENCE = /^\$\{([^}]*)\}$/;

export const processSecretSources = (): SecretSources => ({ env: process.env, baseDir: process.cwd() });

export function userIdentity(endpoint: EndpointSecurityInput, device?: string, sources: SecretSources = processSecretSources()): UserIdentity {
  const fail = (property: string, why: string): never => {
    throw new GatewayError(ErrorKind.ContractInvalid, `${device ? `device "${device}": ` : ''}protocol property ${property}: ${why}`);
  };
  const { username, password, userCertFile, userKeyFile } = endpoint;
  const byName = username !== undefined && username !== '';
  const byCertificate = Boolean(userCertFile || userKeyFile);
  if (byName && byCertificate) fail('Username', 'give a user name and password or a user certificate, not both');
  if (byName) {
    if (password === undefined || password === '') fail('Password', `is required with Username "${username}"`);
    return { kind: 'username', userName: username, password: resolvePassword(password!, sources, fail) };
  }
  if (password !== undefined && password !== '') fail('Username', 'is required with Password');
  if (byCertificate) {
    if (!userCertFile) fail('UserCertificate', 'is required with UserPrivateKey');
    if (!userKeyFile) fail('UserPrivateKey', 'is required with UserCertificate');
    return { kind: 'certificate', certificate: readCertificate(userCertFile!, fail), privateKey: readPrivateKey(userKeyFile!, fail) };
  }
  return { kind: 'anonymous' };
}

function resolvePassword(text: string, sources: SecretSources, fail: (property: string, why: string) => never): string {
  if (text.startsWith('$${')) return text.slice(1); // a literal password that starts with ${
  const reference = REFERENCE.exec(text);
  if (!reference) return text;
  const found = lookUpSecret(reference[1], sources);
  return 'value' in found ? found.value : fail('Password', found.problem);
}

function readCertificate(file: string, fail: (property: string, why: string) => never): Buffer {
  try {
    return Buffer.from(new X509Certificate(readFileSync(file)).raw);
  } catch (err) {
    return fail('UserCertificate', `${file} is not a readable PEM or DER certificate (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function readPrivateKey(file: string, fail: (property: string, why: string) => never): string {
  try {
    const key = createPrivateKey(readFileSync(file));
    return key.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch (err) {
    return fail('UserPrivateKey', `${file} is not a readable private key (${(err as NodeJS.ErrnoException).code ?? 'not a key'})`);
  }
}
