/**
 * The front door of the Azure hub emulator: a TCP listener that reads the
 * client's MQTT CONNECT and checks it as IoT Hub does before any twin traffic
 * (the user name `{host}/{deviceId}/?api-version=...[&model-id=...]`, the
 * client id equal to the device id, the password a SAS token for
 * `{host}/devices/{deviceId}` signed with the device's key). A client that
 * fails gets CONNACK 5 (not authorized) and the connection closes; one that
 * passes is piped to the real broker, CONNECT included. Every CONNECT is
 * recorded (user name, its model-id), so a test sees what a device announced.
 */
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';
import { generate, IConnectPacket, parser } from 'mqtt-packet';
import { verifySasToken } from './azure-hub-emulator';

export interface GateConnect {
  clientId: string;
  username?: string;
  /** The `model-id` query parameter of the user name (IoT Plug and Play). */
  modelId?: string;
  accepted: boolean;
  reason?: string;
}

export class HubGate {
  readonly connects: GateConnect[] = [];
  private readonly sockets = new Set<Socket>();
  private refusing = false;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Listens on a free port in front of the broker at `brokerPort`; `key` is the device (or policy) key the hub holds. */
  static async open(brokerPort: number, host: string, key: string): Promise<HubGate> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const gate = new HubGate(server, `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('connection', (client) => gate.admit(client, brokerPort, host, key));
    return gate;
  }

  /** An outage: drops the connections open now, and answers every new CONNECT with CONNACK 3 (server unavailable) until up(). */
  down(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.destroy();
  }

  /** Lets connections through again. */
  up(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private admit(client: Socket, brokerPort: number, host: string, key: string): void {
    this.track(client);
    const chunks: Buffer[] = [];
    const parse = parser({ protocolVersion: 4 });
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      parse.parse(chunk);
    };
    parse.once('packet', (packet) => {
      client.off('data', onData);
      if (packet.cmd !== 'connect') return client.destroy();
      if (this.refusing) return void client.end(generate({ cmd: 'connack', returnCode: 3, sessionPresent: false }));
      const verdict = check(packet as IConnectPacket, host, key);
      this.connects.push(verdict);
      if (!verdict.accepted) {
        client.end(generate({ cmd: 'connack', returnCode: 5, sessionPresent: false }));
        return;
      }
      const broker = connect(brokerPort, '127.0.0.1');
      this.track(broker);
      broker.on('close', () => client.destroy());
      client.on('close', () => broker.destroy());
      broker.write(Buffer.concat(chunks));
      client.pipe(broker);
      broker.pipe(client);
    });
    parse.on('error', () => client.destroy());
    client.on('data', onData);
  }
}

function check(packet: IConnectPacket, host: string, key: string): GateConnect {
  const clientId = packet.clientId;
  const username = packet.username;
  const [prefix, query = ''] = (username ?? '').split('?');
  const modelId = new URLSearchParams(query).get('model-id') ?? undefined;
  const refuse = (reason: string): GateConnect => ({ clientId, username, modelId, accepted: false, reason });
  if (prefix !== `${host}/${clientId}/`) return refuse(`user name ${username} is not ${host}/${clientId}/?api-version=...`);
  if (!new URLSearchParams(query).get('api-version')) return refuse('no api-version in the user name');
  const sas = verifySasToken(packet.password?.toString() ?? '', key, `${host}/devices/${clientId}`);
  if (!sas.ok) return refuse(sas.reason);
  return { clientId, username, modelId, accepted: true };
}
