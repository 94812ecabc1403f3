/// <reference types="node" />
// The centre's HTTP service (fastify; docs/centre.md, "Endpoints"): terminals post their batches
// (docs/upload-protocol.md), operators fetch bills and reconciliations and hand over the issuer's
// signed objects (terminal certificates, hotlist change lists). Every refusal is JSON
// {"error": code, "message": text} with the status of the protocol's table.
//
// The import endpoints take only what the issuer signed, checked with nA, so whoever can reach
// them cannot register a terminal or change the hotlist the issuer did not. Bills and
// reconciliations are the operator's: the service listens on the loopback unless told otherwise.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { toHex } from '../firmware/protocol/bytes.js';
import { formatUtcOffset } from '../firmware/protocol/dates.js';
import { UPLOAD_LIMITS } from '../firmware/upload/messages.js';
import { billCsv, monthlyBill } from './billing.js';
import { DEFAULTS, openCentre, type Centre, type CentreOptions } from './centre.js';
import { CentreError, REFUSAL } from './errors.js';
import { changeListFromText, importChangeList } from './hotlist.js';
import { batchReceiver, type IngestHooks } from './ingest.js';
import { reconcile, type TerminalStatement } from './reconciliation.js';
import { certificateFromText, registerTerminal } from './registry.js';

export const MEDIA_TYPE = Object.freeze({
  BATCH: 'application/vnd.icct.batch',
  ANSWER: 'application/vnd.icct.answer',
  CERTIFICATE: 'application/vnd.icct.certificate', // CT, encoded
  CHANGE_LIST: 'application/vnd.icct.change-list', // DF02, encoded
  CSV: 'text/csv; charset=utf-8',
} as const);

/** Largest body of the import endpoints (a change list of 1,000 cards with an ESIGN signature, as hex in JSON). */
const IMPORT_BODY_BYTES = 64 * 1024;

export interface ServeOptions extends CentreOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8470; 0 picks a free port. */
  readonly port?: number;
  /** Steps of an upload a test or monitor acts at. */
  readonly hooks?: IngestHooks;
  /** Where the start-up lines go (default: nowhere). */
  readonly log?: (line: string) => void;
}

export interface RunningCentre {
  /** http://host:port, no trailing slash. */
  readonly url: string;
  readonly centre: Centre;
  /** The centre certificate CC (tag F3) terminals check answers with. */
  readonly centreCertificate: Uint8Array;
  /** Stops listening, waits for requests under way, closes the store. */
  close(): Promise<void>;
}

function mediaType(request: FastifyRequest): string {
  return String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function bodyBytes(request: FastifyRequest): Uint8Array {
  const body = request.body;
  return body instanceof Uint8Array ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : new Uint8Array(0);
}

/** An import body: the raw bytes under `raw`, or text (JSON or hex) read by `fromText`. */
function importBytes(request: FastifyRequest, raw: string, fromText: (text: string) => Uint8Array): Uint8Array {
  const type = mediaType(request);
  if (type === raw) return bodyBytes(request);
  if (type === 'application/json' || type === 'text/plain') return fromText(new TextDecoder().decode(bodyBytes(request)));
  throw new CentreError(REFUSAL.CONTENT_TYPE, `send ${raw}, application/json or text/plain (hex), not "${type || 'no content type'}"`);
}

function refuse(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.status(status).type('application/json; charset=utf-8').send({ error: code, message });
}

/** fastify's own refusals as the protocol's codes. */
function frameworkRefusal(error: FastifyError): { status: number; code: string; message: string } | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { ...REFUSAL.TOO_LARGE, message: `the body is over the limit (a batch at most ${UPLOAD_LIMITS.batchBytes} bytes)` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { ...REFUSAL.CONTENT_TYPE, message: `content type not accepted here (a batch is ${MEDIA_TYPE.BATCH})` };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { ...REFUSAL.BAD_REQUEST, message: error.message };
    default:
      return error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? { status: error.statusCode, code: REFUSAL.BAD_REQUEST.code, message: error.message } : null;
  }
}

function optionalInteger(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^\d{1,15}$/.test(text)) throw new CentreError(REFUSAL.BAD_REQUEST, `${what} must be a whole number, got "${text}"`);
  return Number(text);
}

/** The terminal's own totals from `?records=N&fees=Y`, when both are given. */
function statementOf(query: Record<string, unknown>): TerminalStatement | undefined {
  const records = optionalInteger(query.records, 'records');
  const fees = optionalInteger(query.fees, 'fees');
  if (records === undefined && fees === undefined) return undefined;
  if (records === undefined || fees === undefined) throw new CentreError(REFUSAL.BAD_REQUEST, "give both records and fees, the terminal's own totals");
  return { records, fees };
}

/** The fastify app of an open centre (not listening yet). */
export function centreApp(centre: Centre, hooks?: IngestHooks): FastifyInstance {
  const app = Fastify({ logger: false, return503OnClosing: true });
  const receive = batchReceiver({
    store: centre.store, centreSigner: centre.signer, signatureBytes: centre.signatureBytes,
    utcOffsetMinutes: centre.billing.utcOffsetMinutes, now: centre.now, ...(hooks ? { hooks } : {}),
  });
  const rawTypes = [MEDIA_TYPE.BATCH, MEDIA_TYPE.CERTIFICATE, MEDIA_TYPE.CHANGE_LIST, 'text/plain'];
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(rawTypes, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof CentreError) return refuse(reply, error.status, error.code, error.message);
    const known = frameworkRefusal(error);
    if (known) return refuse(reply, known.status, known.code, known.message);
    return refuse(reply, 500, 'internal', `the centre failed (${error.message}); nothing of this request was stored unless its answer said so; try again`);
  });
  app.setNotFoundHandler((request, reply) => refuse(reply, REFUSAL.NOT_FOUND.status, REFUSAL.NOT_FOUND.code, `no ${request.method} ${request.url} here (see docs/centre.md)`));

  app.post('/v1/batches', { bodyLimit: UPLOAD_LIMITS.batchBytes }, async (request, reply) => {
    if (mediaType(request) !== MEDIA_TYPE.BATCH) throw new CentreError(REFUSAL.CONTENT_TYPE, `a batch is sent as ${MEDIA_TYPE.BATCH}`);
    const { answer } = await receive(bodyBytes(request));
    return reply.type(MEDIA_TYPE.ANSWER).send(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength));
  });

  app.get<{ Params: { month: string }; Querystring: { format?: string } }>('/v1/bills/:month', async (request, reply) => {
    const format = request.query.format ?? (String(request.headers.accept ?? '').includes('text/csv') ? 'csv' : 'json');
    if (format !== 'csv' && format !== 'json') throw new CentreError(REFUSAL.BAD_REQUEST, `format must be csv or json, got "${format}"`);
    const bill = await monthlyBill(centre.store, request.params.month, centre.billing);
    return format === 'csv' ? reply.type(MEDIA_TYPE.CSV).send(billCsv(bill)) : bill;
  });

  const reconciliation = async (terminalId: string | undefined, query: Record<string, unknown>) => {
    const lines = await reconcile(centre.store, terminalId, statementOf(query));
    if (terminalId !== undefined && lines.length === 0) throw new CentreError(REFUSAL.NOT_FOUND, `terminal ${terminalId} is not in the registry`);
    return { currency: centre.billing.currency, terminals: lines };
  };
  app.get<{ Querystring: Record<string, unknown> }>('/v1/reconciliation', async (request) => reconciliation(undefined, request.query));
  app.get<{ Params: { terminalId: string }; Querystring: Record<string, unknown> }>('/v1/reconciliation/:terminalId', async (request) => reconciliation(request.params.terminalId, request.query));

  app.post('/v1/terminals', { bodyLimit: IMPORT_BODY_BYTES }, async (request, reply) => {
    const { terminalId, outcome } = await registerTerminal(centre.store, importBytes(request, MEDIA_TYPE.CERTIFICATE, certificateFromText), centre.key.issuerKeys, centre.now());
    return reply.status(outcome === 'added' ? 201 : 200).send({ terminalId, outcome });
  });
  app.get('/v1/terminals', async () => ({
    terminals: (await centre.store.terminals()).map((t) => ({
      terminalId: t.terminalId, validFrom: t.validFrom, validTo: t.validTo, suite: t.suite, keyId: t.keyId, acknowledged: t.acknowledged,
      registeredAt: new Date(t.registeredAt).toISOString(), certificate: toHex(t.certificate),
    })),
  }));

  app.post('/v1/hotlist', { bodyLimit: IMPORT_BODY_BYTES }, async (request, reply) => {
    const { version, outcome } = await importChangeList(centre.store, importBytes(request, MEDIA_TYPE.CHANGE_LIST, changeListFromText), centre.key.issuerKeys, centre.now());
    return reply.status(outcome === 'added' ? 201 : 200).send({ version, outcome });
  });
  app.get<{ Querystring: { after?: string } }>('/v1/hotlist', async (request) => {
    const after = optionalInteger(request.query.after, 'after') ?? 0;
    return {
      version: await centre.store.hotlistVersion(),
      changeLists: (await centre.store.changeListsAfter(after, UPLOAD_LIMITS.changeLists)).map((entry) => ({ version: entry.version, changeList: toHex(entry.bytes) })),
    };
  });

  app.get('/v1/health', async () => ({ status: 'ok', store: centre.store.kind, schema: await centre.store.appliedMigrations(), centre: centre.key.centreId }));
  return app;
}

/**
 * Opens the centre (see openCentre for the defaults) and serves it on host:port (default
 * 127.0.0.1:8470). Returns its URL and close(); throws what openCentre throws, or the listen
 * error (EADDRINUSE: another centre runs on that port).
 */
export async function startCentre(options: ServeOptions = {}): Promise<RunningCentre> {
  const centre = await openCentre(options);
  const app = centreApp(centre, options.hooks);
  let address: string;
  try {
    address = await app.listen({ host: options.host ?? DEFAULTS.host, port: options.port ?? DEFAULTS.port });
  } catch (error) {
    await centre.close();
    throw error;
  }
  const url = address.replace(/\/$/, '');
  options.log?.(`centre ${centre.key.centreId} at ${url}, store ${centre.store.description}${centre.keyCreated ? ' (centre key made now)' : ''}, bills in UTC${formatUtcOffset(centre.billing.utcOffsetMinutes)}`);
  let closing: Promise<void> | null = null;
  return {
    url,
    centre,
    centreCertificate: centre.key.certificate,
    close: () => (closing ??= (async () => {
      await app.close();
      await centre.close();
    })()),
  };
}
