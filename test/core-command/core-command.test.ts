import { randomUUID } from 'node:crypto';
import { API_VERSION, Topics } from '@gw/contracts';
import { MessageBus, createMessageBus } from '@gw/messaging';
import { RunningCoreCommand } from '../../apps/core-command/src/core-command.app';
import {
  DEVICES,
  LOCKED_SERVICE,
  PROFILE_NAME,
  SERVICE,
  SeededMetadata,
  TestResponder,
  busCommand,
  call,
  startTestCoreCommand,
  uniqueTopicBase,
} from './support';

const TIMEOUT_MS = 500;

describe('core-command on the in-process bus, against a real core-metadata', () => {
  const topicBase = uniqueTopicBase();
  const topics = new Topics(topicBase);
  let bus: MessageBus;
  let metadata: SeededMetadata;
  let core: RunningCoreCommand;
  let responder: TestResponder;

  const api = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    call<T>(core.url, method, path, body, headers);

  beforeAll(async () => {
    bus = createMessageBus({ type: 'memory' });
    await bus.connect();
    metadata = await SeededMetadata.start(bus, topicBase);
    core = await startTestCoreCommand(bus, metadata.url, topicBase, TIMEOUT_MS);
    responder = new TestResponder(bus, topics, SERVICE);
    await responder.start();
  });

  afterAll(async () => {
    await responder?.stop();
    await core?.close();
    await metadata?.close();
    await bus?.close();
  });

  beforeEach(() => responder.reset());

  describe('command lists', () => {
    it("lists a device's commands: visible deviceCommands, then every visible resource as a command of its own name", async () => {
      const reply = await api('GET', '/device/name/Pump-1');
      expect(reply.status).toBe(200);
      const path = (command: string) => `/api/v3/device/name/Pump-1/${command}`;
      expect(reply.body).toEqual({
        apiVersion: API_VERSION,
        statusCode: 200,
        deviceCoreCommand: {
          deviceName: 'Pump-1',
          profileName: PROFILE_NAME,
          coreCommands: [
            {
              name: 'Drive',
              get: true,
              set: true,
              path: path('Drive'),
              url: core.url,
              parameters: [
                { resourceName: 'Speed', valueType: 'Uint16' },
                { resourceName: 'Raw', valueType: 'Uint16' },
              ],
            },
            { name: 'Speed', get: true, set: true, path: path('Speed'), url: core.url, parameters: [{ resourceName: 'Speed', valueType: 'Uint16' }] },
            { name: 'Temperature', get: true, set: false, path: path('Temperature'), url: core.url, parameters: [{ resourceName: 'Temperature', valueType: 'Float32' }] },
            { name: 'Setpoint', get: false, set: true, path: path('Setpoint'), url: core.url, parameters: [{ resourceName: 'Setpoint', valueType: 'Float32' }] },
          ],
        },
      });
    });

    it('lists every device page by page, and answers 404, 400 and 416 like core-metadata', async () => {
      const all = await api('GET', '/device/all?limit=-1');
      expect(all.status).toBe(200);
      expect(all.body.totalCount).toBe(DEVICES.length);
      expect(all.body.deviceCoreCommands.map((d: any) => d.deviceName).sort()).toEqual(DEVICES.map((d) => d.name).sort());
      expect(all.body.deviceCoreCommands[0].coreCommands.map((c: any) => c.name)).toEqual(['Drive', 'Speed', 'Temperature', 'Setpoint']);

      const page = await api('GET', '/device/all?offset=1&limit=2');
      expect(page.body.totalCount).toBe(DEVICES.length);
      expect(page.body.deviceCoreCommands.map((d: any) => d.deviceName)).toEqual(all.body.deviceCoreCommands.slice(1, 3).map((d: any) => d.deviceName));

      expect((await api('GET', '/device/all?offset=10')).status).toBe(416);
      const bad = await api('GET', '/device/all?limit=-2');
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/limit/);
      const missing = await api('GET', '/device/name/Nobody');
      expect(missing.status).toBe(404);
      expect(missing.body.message).toMatch(/Nobody/);
    });
  });

  describe('GET commands', () => {
    it('returns the event the device service read, with ds-pushevent=false and ds-returnevent=true by default', async () => {
      const correlation = randomUUID();
      const reply = await api('GET', '/device/name/Pump-1/Speed', undefined, { 'X-Correlation-ID': correlation });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('x-correlation-id')).toBe(correlation);
      expect(reply.body).toMatchObject({ apiVersion: 'v3', statusCode: 200, event: { deviceName: 'Pump-1', sourceName: 'Speed', readings: [{ value: '1450' }] } });

      expect(responder.requests.received).toHaveLength(1);
      const [{ topic, envelope }] = responder.requests.received;
      expect(topic).toBe(topics.commandRequest(SERVICE, 'Pump-1', 'Speed', 'get'));
      expect(envelope.queryParams).toEqual({ 'ds-pushevent': 'false', 'ds-returnevent': 'true' });
      expect(envelope.correlationID).toBe(correlation);
      expect(reply.body.requestId).toBe(envelope.requestID);
    });

    it('passes ds-pushevent and ds-returnevent on, and returns no event when ds-returnevent=false', async () => {
      const reply = await api('GET', '/device/name/Pump-1/Drive?ds-pushevent=true&ds-returnevent=false');
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ apiVersion: 'v3', requestId: expect.any(String), statusCode: 200 });
      expect(responder.requests.received[0].envelope.queryParams).toEqual({ 'ds-pushevent': 'true', 'ds-returnevent': 'false' });
    });

    it('answers 400 for ds-pushevent or ds-returnevent other than "true" or "false", without bothering the device service', async () => {
      for (const query of ['ds-pushevent=yes', 'ds-returnevent=no', 'ds-returnevent=1', 'ds-pushevent=true&ds-pushevent=false']) {
        const reply = await api('GET', `/device/name/Pump-1/Speed?${query}`);
        expect(reply.status).toBe(400);
        expect(reply.body.message).toMatch(/query parameter ds-(pushevent|returnevent)/);
      }
      expect(responder.requests.received).toHaveLength(0);
    });
  });

  describe('SET commands', () => {
    it('forwards the body to the device service and answers 200', async () => {
      const reply = await api('PUT', '/device/name/Pump-1/Drive', { Speed: '1200', Raw: 7 });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ apiVersion: 'v3', requestId: expect.any(String), statusCode: 200 });
      const [{ topic, envelope }] = responder.requests.received;
      expect(topic).toBe(topics.commandRequest(SERVICE, 'Pump-1', 'Drive', 'set'));
      expect(envelope.payload).toEqual({ Speed: '1200', Raw: 7 });
      expect(envelope.requestID).toBe(reply.body.requestId);
    });

    it('answers 400 for a body that is not an object, a resource the command lacks, or a value that does not fit', async () => {
      const cases: Array<[string, unknown, RegExp]> = [
        ['Speed', [1], /body must be a JSON object/],
        ['Speed', 'null', /body must be a JSON object/],
        ['Speed', { Temperature: '20' }, /'Temperature' is not a resource of this command \(expected Speed\)/],
        ['Drive', { Speed: '1', Setpoint: '2' }, /'Setpoint' is not a resource of this command/],
        ['Speed', { Speed: '-5' }, /Speed: "-5" is not a valid Uint16/],
      ];
      for (const [command, body, message] of cases) {
        const reply = await api('PUT', `/device/name/Pump-1/${command}`, body);
        expect({ command, status: reply.status }).toEqual({ command, status: 400 });
        expect(reply.body.message).toMatch(message);
        expect(reply.body.message).toContain("on device 'Pump-1'");
      }
      const notJson = await api('PUT', '/device/name/Pump-1/Speed', '{"Speed":', { 'content-type': 'application/json' });
      expect(notJson.status).toBe(400);
      expect(responder.requests.received).toHaveLength(0);
    });
  });

  describe('refusals before the device service is asked', () => {
    it('answers 404 for an unknown device, an unknown command and a hidden resource, naming them', async () => {
      const device = await api('GET', '/device/name/Nobody/Speed');
      expect(device.status).toBe(404);
      expect(device.body.message).toMatch(/Nobody/);
      const command = await api('PUT', '/device/name/Pump-1/Nothing', { Speed: '1' });
      expect(command.status).toBe(404);
      expect(command.body.message).toBe(`device 'Pump-1' (profile '${PROFILE_NAME}') has no command 'Nothing'`);
      const hidden = await api('GET', '/device/name/Pump-1/Raw');
      expect(hidden.status).toBe(404);
      expect(hidden.body.message).toMatch(/has no command 'Raw': it is hidden/);
      expect(responder.requests.received).toHaveLength(0);
    });

    it('answers 405 for a SET on a read-only command and a GET on a write-only one', async () => {
      const set = await api('PUT', '/device/name/Pump-1/Temperature', { Temperature: '20' });
      expect(set.status).toBe(405);
      expect(set.body.message).toBe("command 'Temperature' of device 'Pump-1' is read-only: SET is not allowed");
      const get = await api('GET', '/device/name/Pump-1/Setpoint');
      expect(get.status).toBe(405);
      expect(get.body.message).toBe("command 'Setpoint' of device 'Pump-1' is write-only: GET is not allowed");
      expect(responder.requests.received).toHaveLength(0);
    });

    it('answers 423 while the device is locked, and serves it again the moment it is unlocked', async () => {
      await metadata.patchDevice({ name: 'Pump-2', adminState: 'LOCKED' });
      try {
        for (const [method, body] of [['GET', undefined], ['PUT', { Speed: '5' }]] as const) {
          const reply = await api(method, '/device/name/Pump-2/Speed', body);
          expect(reply.status).toBe(423);
          expect(reply.body.message).toBe("command 'Speed' of device 'Pump-2': the device is LOCKED");
        }
        expect(responder.requests.received).toHaveLength(0);
      } finally {
        await metadata.patchDevice({ name: 'Pump-2', adminState: 'UNLOCKED' });
      }
      expect((await api('GET', '/device/name/Pump-2/Speed')).status).toBe(200);
    });

    it('answers 423 when the device service is locked', async () => {
      const reply = await api('GET', '/device/name/Pump-Locked-Service/Speed');
      expect(reply.status).toBe(423);
      expect(reply.body.message).toBe(`command 'Speed' of device 'Pump-Locked-Service': device service '${LOCKED_SERVICE}' is LOCKED`);
    });
  });

  describe("the device service's answer", () => {
    it("passes the device service's error status and message through", async () => {
      responder.answer = (request) => ({
        errorCode: 1,
        payload: { apiVersion: 'v3', requestId: request.requestID, statusCode: 400, message: 'Speed 9999 is above the maximum 3000' },
      });
      const bad = await api('PUT', '/device/name/Pump-1/Speed', { Speed: '9999' });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe("set 'Speed' on device 'Pump-1' failed in device service 'device-test': Speed 9999 is above the maximum 3000");

      responder.answer = (request) => ({
        errorCode: 1,
        payload: { apiVersion: 'v3', requestId: request.requestID, statusCode: 423, message: 'device Pump-1 OperatingState is DOWN' },
      });
      const down = await api('GET', '/device/name/Pump-1/Speed');
      expect(down.status).toBe(423);
      expect(down.body.message).toMatch(/device Pump-1 OperatingState is DOWN$/);
    });

    it('answers 504 when the device service does not answer in time', async () => {
      const started = Date.now();
      const reply = await api('GET', '/device/name/Pump-Silent/Speed');
      expect(reply.status).toBe(504);
      expect(reply.body.message).toBe(`get 'Speed' on device 'Pump-Silent': device service 'device-silent' did not answer within ${TIMEOUT_MS} ms`);
      expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    });
  });

  describe('the same API over the bus', () => {
    it('runs GET and SET and answers on response/core-command/{requestId} like a device service', async () => {
      const got = await busCommand(bus, topics, 'Pump-1', 'Speed', 'get', {}, { 'ds-pushevent': 'true' });
      expect(got.errorCode).toBe(0);
      expect(got.payload).toMatchObject({ statusCode: 200, requestId: got.requestID, event: { deviceName: 'Pump-1', sourceName: 'Speed' } });
      // A bus caller's requestID is kept end to end.
      expect(responder.requests.received[0].envelope.requestID).toBe(got.requestID);
      expect(responder.requests.received[0].envelope.queryParams).toEqual({ 'ds-pushevent': 'true', 'ds-returnevent': 'true' });

      const set = await busCommand(bus, topics, 'Pump-1', 'Drive', 'set', { Speed: '800' });
      expect(set.errorCode).toBe(0);
      expect(set.payload).toEqual({ apiVersion: 'v3', requestId: set.requestID, statusCode: 200 });
      expect(responder.requests.received[1].envelope.payload).toEqual({ Speed: '800' });
    });

    it('answers errors with errorCode 1 and the status and message REST would give', async () => {
      const cases: Array<[string, string, 'get' | 'set', unknown, Record<string, string> | undefined, number, RegExp]> = [
        ['Nobody', 'Speed', 'get', {}, undefined, 404, /Nobody/],
        ['Pump-1', 'Nothing', 'get', {}, undefined, 404, /has no command 'Nothing'/],
        ['Pump-1', 'Temperature', 'set', { Temperature: '1' }, undefined, 405, /read-only/],
        ['Pump-1', 'Speed', 'set', ['1'], undefined, 400, /body must be a JSON object/],
        ['Pump-1', 'Speed', 'get', {}, { 'ds-returnevent': 'yes' }, 400, /ds-returnevent/],
        ['Pump-Locked-Service', 'Speed', 'get', {}, undefined, 423, /LOCKED/],
        ['Pump-Silent', 'Speed', 'get', {}, undefined, 504, /did not answer within/],
      ];
      for (const [device, command, method, payload, query, statusCode, message] of cases) {
        const reply = await busCommand(bus, topics, device, command, method, payload, query);
        expect({ device, command, errorCode: reply.errorCode, statusCode: (reply.payload as any).statusCode }).toEqual({ device, command, errorCode: 1, statusCode });
        expect((reply.payload as any).message).toMatch(message);
        expect((reply.payload as any).requestId).toBe(reply.requestID);
      }
      expect(responder.requests.received).toHaveLength(0);
    });

    it('keeps serving other bus commands while one waits for a silent device service', async () => {
      let slowAnswered = false;
      const slow = busCommand(bus, topics, 'Pump-Silent', 'Speed', 'get').finally(() => (slowAnswered = true));
      const fast = await busCommand(bus, topics, 'Pump-1', 'Speed', 'get');
      expect(fast.errorCode).toBe(0);
      expect(slowAnswered).toBe(false);
      expect(((await slow).payload as any).statusCode).toBe(504);
    });
  });
});
