/** Ports of the labs: a free one to listen on, and waiting for an sshd listening on one. */
import net from 'node:net';

/** A port nothing listens on at this moment, on a loopback address (the kernel's pick). */
export async function freePort(address = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Waits until an sshd answers on address:port with its `SSH-` banner line; throws after timeoutMs.
 * Each probe waits up to 5 s for the banner: one that gives up leaves sshd a half-open connection to
 * serve, so it must not give up too soon on a loaded machine.
 */
export async function waitForSshBanner(address: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: address, port });
      let data = '';
      const done = (result: boolean) => {
        socket.destroy();
        resolve(result);
      };
      socket.setTimeout(5000, () => done(false));
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1');
        if (data.includes('\n')) done(data.startsWith('SSH-'));
      });
      socket.on('error', () => done(false));
      socket.on('close', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd on ${address}:${port} did not answer within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
