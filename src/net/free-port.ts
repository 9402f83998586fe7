import crypto from 'node:crypto';
import net from 'node:net';

/**
 * A free port for a child process to listen on later (or to listen on again after a restart). Taken below the kernel's
 * ephemeral range (32768 and up on Linux): a port the kernel hands out for `listen(0)` anywhere else in the suite can
 * never be one of these, so the gap between this check and the child's own listen is not lost to a parallel test.
 */
export async function freePortForChild(): Promise<number> {
  for (;;) {
    const candidate = 20_000 + crypto.randomInt(10_000);
    const probe = net.createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(candidate, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      return candidate;
    }
  }
}
