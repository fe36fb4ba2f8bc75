// Starts the real server in-process on loopback port 0 and offers query helpers.
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { silentLogger } from '../../src/server/logger.js';
import { buildQuery, decode, tcpExchange, frame, udpExchange, type DecodedReply, type QuerySpec } from './dns-client.js';
import { testUdpIo } from './udp-io.js';

export interface TestServer {
  readonly server: RunningServer;
  readonly host: string;
  readonly port: number;
  udp(spec: QuerySpec): Promise<DecodedReply>;
  tcp(spec: QuerySpec): Promise<DecodedReply>;
  udpRaw(packet: Uint8Array): Promise<Buffer>;
  tcpRaw(packet: Uint8Array): Promise<Buffer>;
  close(): Promise<void>;
}

export async function startTestServer(opts: Partial<ServerOptions> & { zonesDir: string }): Promise<TestServer> {
  const server = await startServer({
    listen: ['127.0.0.1:0'],
    geoip: null,
    logger: silentLogger(),
    udpIo: testUdpIo(),
    ...opts,
  });
  const ep = server.endpoints[0]!;
  const host = ep.address;
  const port = ep.port;
  const udpRaw = (packet: Uint8Array): Promise<Buffer> => udpExchange(host, port, packet);
  const tcpRaw = async (packet: Uint8Array): Promise<Buffer> => (await tcpExchange(host, port, [frame(packet)], 1))[0]!;
  return {
    server,
    host,
    port,
    udp: async (spec) => decode(await udpRaw(buildQuery(spec))),
    tcp: async (spec) => decode(await tcpRaw(buildQuery(spec))),
    udpRaw,
    tcpRaw,
    close: () => server.close(),
  };
}
