import fs from 'node:fs';
import net from 'node:net';

const LOWEST_PORT = 10_000;
const ATTEMPTS = 50;

/**
 * A TCP port nothing listens on right now, for a child process to bind a moment later.
 *
 * It is picked below the kernel's ephemeral range: a port the OS hands out for `listen(0)` comes
 * from that range, and so does the local port of every outgoing connection, so between choosing
 * it and the child binding it, a connection to PostgreSQL or Temporal could take it.
 */
export async function freePort(): Promise<number> {
  const below = ephemeralRangeStart();
  if (below === undefined || below - LOWEST_PORT < 1_000) return listenAndRelease(0);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const candidate = LOWEST_PORT + Math.floor(Math.random() * (below - LOWEST_PORT));
    const port = await listenAndRelease(candidate).catch(() => undefined);
    if (port !== undefined) return port;
  }
  return listenAndRelease(0);
}

function ephemeralRangeStart(): number | undefined {
  try {
    const [low] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const port = Number(low);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

function listenAndRelease(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}
