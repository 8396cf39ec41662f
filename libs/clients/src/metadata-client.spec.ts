import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { oneLine } from './http-client';
import { batchOutcomes, itemAccepted, MetadataClient } from './metadata-client';

describe('batch answers', () => {
  it('refuses an answer that is not one item per device, naming both counts', () => {
    expect(() => batchOutcomes([{ statusCode: 201 }], 2, 'device')).toThrow('metadata answered 1 item for 2 devices');
    expect(() => batchOutcomes({ message: 'ok' }, 1, 'device')).toThrow('metadata answered no list for 1 device');
    expect(() => batchOutcomes([], 1, 'profile')).toThrow(expect.objectContaining({ kind: ErrorKind.Communication }));
  });

  it('counts as accepted only a numeric 2xx status', () => {
    const outcomes = batchOutcomes([{ statusCode: 201 }, {}, { statusCode: '201' }, null, { statusCode: 409, message: 'exists' }], 5, 'device');
    expect(outcomes.map(itemAccepted)).toEqual([true, false, false, false, false]);
    expect(outcomes[4]).toEqual({ statusCode: 409, message: 'exists' });
  });
});

describe('oneLine', () => {
  it("makes a proxy's HTML page one line of at most 200 characters", () => {
    const page = `<html>\r\n<head><title>502 Bad Gateway</title></head>\n<body>\n\t<center><h1>502 Bad Gateway</h1></center>\n${'x '.repeat(300)}</body></html>`;
    const line = oneLine(page);
    expect(line).not.toMatch(/\n|\r|\t| {2}/);
    expect(line.length).toBeLessThanOrEqual(200);
    expect(line.startsWith('<html> <head><title>502 Bad Gateway</title></head> <body> <center>')).toBe(true);
  });
});

describe('MetadataClient listings against a metadata that never says it is done', () => {
  let server: Server;
  let url: string;
  let answer: (offset: number, limit: number) => unknown;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer(Number(query.get('offset')), Number(query.get('limit')))));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (requests = 0));

  const devices = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ name: `D-${from + i}` }));

  it('stops at a short page when there is no totalCount', async () => {
    answer = (offset) => ({ devices: offset < 4 ? devices(offset, 2) : devices(offset, 1) });
    const found = await new MetadataClient({ baseUrl: url, pageSize: 2 }).allDevices();
    expect(found.map((d) => d.name)).toEqual(['D-0', 'D-1', 'D-2', 'D-3', 'D-4']);
    expect(requests).toBe(3);
  });

  it('pages on while totalCount says more (metadata may cap limit below the page size)', async () => {
    answer = (offset) => ({ totalCount: 5, devices: offset < 5 ? devices(offset, 1) : [] });
    expect((await new MetadataClient({ baseUrl: url, pageSize: 2 }).allDevices()).map((d) => d.name)).toEqual(['D-0', 'D-1', 'D-2', 'D-3', 'D-4']);
  });

  it('gives up after maxPages pages of a listing that does not end', async () => {
    answer = (offset, limit) => ({ totalCount: 1e9, devices: devices(offset, limit) });
    const listing = new MetadataClient({ baseUrl: url, pageSize: 2, maxPages: 5 }).allDevices();
    await expect(listing).rejects.toThrow(GatewayError);
    await expect(listing).rejects.toThrow('did not end within 5 pages of 2');
    expect(requests).toBe(5);
  });
});
