/**
 * A TCP relay between the browser and the dashboard's server: the test pulls the plug (every
 * open connection reset, new ones refused) and plugs it back in, like a phone losing its network.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface Network {
  /** Where the browser connects (http://127.0.0.1:<port>). */
  url: string;
  /** Resets every open connection and refuses new ones until `restore()`. */
  drop(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function relay(targetPort: number): Promise<Network> {
  const open = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) return void client.resetAndDestroy();
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    drop: () => {
      down = true;
      for (const socket of open) socket.resetAndDestroy();
    },
    restore: () => {
      down = false;
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
