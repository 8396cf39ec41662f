/**
 * A throwaway PKI for TLS tests, made with the `openssl` CLI in a temp dir: a
 * CA, a server certificate it signed for 127.0.0.1 and localhost, a client
 * certificate it signed (mutual TLS), and a second, unrelated CA that signed
 * nothing the servers present. EC P-256 keys: each takes milliseconds.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** File paths (for the brokers) and their PEM contents (for the clients). */
export interface TestPki {
  dir: string;
  files: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string; otherCa: string };
  pem: { ca: string; clientCert: string; clientKey: string; otherCa: string };
  dispose(): void;
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'gw-pki-'));
  // Mosquitto started as root drops to its own user, which must read the files (throwaway keys).
  chmodSync(dir, 0o755);
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

  const ca = (name: string) => openssl('req', '-x509', ...KEY, '-keyout', at(`${name}.key`), '-out', at(`${name}.crt`), '-days', '2', '-subj', `/CN=gw-test-${name}`);
  const signed = (name: string, extensions: string) => {
    writeFileSync(at(`${name}.ext`), extensions);
    openssl('req', ...KEY, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', `/CN=gw-test-${name}`);
    openssl('x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial',
      '-out', at(`${name}.crt`), '-days', '2', '-extfile', at(`${name}.ext`));
  };
  ca('ca');
  ca('other-ca');
  signed('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  signed('client', 'extendedKeyUsage=clientAuth\n');
  for (const name of ['server.key', 'client.key']) chmodSync(at(name), 0o644);

  const read = (name: string) => readFileSync(at(name), 'utf8');
  return {
    dir,
    files: {
      ca: at('ca.crt'),
      serverCert: at('server.crt'),
      serverKey: at('server.key'),
      clientCert: at('client.crt'),
      clientKey: at('client.key'),
      otherCa: at('other-ca.crt'),
    },
    pem: { ca: read('ca.crt'), clientCert: read('client.crt'), clientKey: read('client.key'), otherCa: read('other-ca.crt') },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
