// TCP_QUICKACK for the virtual card's socket. Node has no API for it, so a ten-line N-API addon
// (tools/pcsc/quickack, npm optional dependency "tcp-quickack", built by node-gyp at install)
// calls setsockopt. Without it the card still works, at ~50 ms a command instead of well under
// one: see VpcdCard's latency modes.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

interface QuickAckAddon {
  setQuickAck(fd: number): boolean;
}

let addon: QuickAckAddon | null | undefined;
let whyMissing = '';

function load(): QuickAckAddon | null {
  if (addon !== undefined) return addon;
  try {
    addon = createRequire(import.meta.url)('tcp-quickack') as QuickAckAddon;
  } catch (error) {
    addon = null;
    whyMissing = `the tcp-quickack helper is not built (${(error as Error).message.split('\n')[0]}); run npm install with a C compiler present`;
  }
  return addon;
}

/** True when the helper is built and the platform has TCP_QUICKACK. */
export function quickAckAvailable(): boolean {
  return load() !== null && process.platform === 'linux';
}

/** Why quickAckAvailable() is false, for the log. */
export function quickAckMissingReason(): string {
  load();
  return addon ? (process.platform === 'linux' ? '' : `TCP_QUICKACK exists on Linux only, not ${process.platform}`) : whyMissing;
}

/** The socket's file descriptor, from libuv's handle (Node does not document it, but keeps it). */
function socketFd(socket: Socket): number | null {
  const handle = (socket as unknown as { _handle?: { fd?: number } })._handle;
  return typeof handle?.fd === 'number' && handle.fd >= 0 ? handle.fd : null;
}

/** Asks Linux to ACK at once (it reverts to delayed ACKs by itself, so call after each read). */
export function enableQuickAck(socket: Socket): boolean {
  const helper = load();
  const fd = socketFd(socket);
  if (!helper || fd === null) return false;
  return helper.setQuickAck(fd);
}
