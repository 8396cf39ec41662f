/**
 * device-ble in docker-compose.yml: on the host's network (Bluetooth sockets
 * exist only there), with NET_ADMIN and NET_RAW, and as root: Docker makes
 * added capabilities effective for uid 0 only, so as the image's user the
 * HCI socket would fail EPERM for ever.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const compose = parse(readFileSync(join(__dirname, '../../docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { user?: string; network_mode?: string; cap_add?: string[]; profiles?: string[] }>;
};

describe('device-ble in docker-compose.yml', () => {
  it('runs as root on the host network with NET_ADMIN and NET_RAW, only under --profile ble', () => {
    const service = compose.services['device-ble'];
    expect(service).toMatchObject({ user: '0:0', network_mode: 'host', profiles: ['ble'] });
    expect([...(service.cap_add ?? [])].sort()).toEqual(['NET_ADMIN', 'NET_RAW']);
  });
});
