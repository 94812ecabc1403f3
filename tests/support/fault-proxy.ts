/// <reference types="node" />
// A TCP proxy between a test's uploader and the centre that misbehaves as a network does, one
// HTTP request per connection (the uploader sends Connection: close): it can cut a request after
// k bytes, cut the answer after k bytes (the answer is collected whole first, then the part
// forwarded), deliver a request twice, hold a request back and deliver
// it late (after the uploader gave up and sent again), or act (kill the centre) before it
// forwards. Each connection's fault comes from `plan(n)`, n = 1, 2, ... in order of arrival.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Fault {
  /** Forward only the first k bytes of the request, then close both sides. */
  readonly cutRequestAt?: number;
  /** Forward only the first `cutAnswerAt(total)` bytes of the answer (total: its whole length), run `onCut`, then close the uploader's side. */
  readonly cutAnswerAt?: (total: number) => number;
  /** Deliver the request a second time on another connection (its answer is dropped). */
  readonly duplicate?: boolean;
  /** Hold the request this long before delivering it (the uploader may have gone by then). */
  readonly delayMs?: number;
  /** Run before the request is forwarded (e.g. kill the centre: the request then finds no one). */
  readonly before?: () => Promise<void>;
  /** Run when an answer was cut (e.g. kill the centre mid-answer). */
  readonly onCut?: () => Promise<void>;
}

/** Bytes until the end of one HTTP request (headers and Content-Length body), or null while incomplete. */
function requestLength(data: Buffer): number | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const match = /\r\ncontent-length:\s*(\d+)/i.exec(data.subarray(0, end).toString('latin1'));
  const total = end + 4 + (match ? Number(match[1]) : 0);
  return data.length >= total ? total : null;
}

function readRequest(client: Socket): Promise<Buffer | null> {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const length = requestLength(data);
      if (length !== null) {
        client.off('data', onData);
        resolve(data.subarray(0, length));
      }
    };
    client.on('data', onData);
    client.once('close', () => resolve(null));
    client.once('error', () => resolve(null));
  });
}

/** Sends `request` to the centre; calls `onChunk` with each piece of the answer; resolves when the centre closes. */
function deliver(port: number, request: Buffer, onChunk: (chunk: Buffer) => void, cutRequestAt?: number): Promise<void> {
  return new Promise((resolve) => {
    const server = connect(port, '127.0.0.1');
    server.once('connect', () => {
      if (cutRequestAt !== undefined) {
        server.end(request.subarray(0, cutRequestAt), () => server.destroy());
        return;
      }
      server.write(request);
    });
    server.on('data', (chunk: Buffer) => onChunk(chunk));
    server.once('close', () => resolve());
    server.once('error', () => resolve());
  });
}

export class FaultProxy {
  readonly #server: Server;
  readonly #target: () => number | null;
  readonly #plan: (connection: number) => Fault;
  readonly #pending = new Set<Promise<void>>();
  #connections = 0;

  /** `target` gives the centre's port now (null when none runs). */
  constructor(target: () => number | null, plan: (connection: number) => Fault) {
    this.#target = target;
    this.#plan = plan;
    this.#server = createServer((client) => {
      const work = this.#serve(client, ++this.#connections);
      this.#pending.add(work);
      void work.finally(() => this.#pending.delete(work));
    });
  }

  get connections(): number {
    return this.#connections;
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve((this.#server.address() as { port: number }).port)));
  }

  /** Waits for every delivery under way (held and duplicated ones too). */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async close(): Promise<void> {
    await this.settle();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #serve(client: Socket, connection: number): Promise<void> {
    client.on('error', () => undefined);
    const fault = this.#plan(connection);
    const request = await readRequest(client);
    if (!request) return;
    if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    await fault.before?.();
    const port = this.#target();
    if (port === null) {
      client.destroy();
      return;
    }
    if (fault.duplicate) await deliver(port, request, () => undefined);
    if (fault.cutRequestAt !== undefined) {
      await deliver(port, request, () => undefined, fault.cutRequestAt);
      client.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    await deliver(port, request, (chunk) => chunks.push(chunk));
    const answer = Buffer.concat(chunks);
    const keep = fault.cutAnswerAt === undefined ? answer.length : Math.min(answer.length, Math.max(0, fault.cutAnswerAt(answer.length)));
    if (keep < answer.length) await fault.onCut?.();
    client.end(answer.subarray(0, keep));
  }
}
