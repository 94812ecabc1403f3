// The centre's refusals (docs/upload-protocol.md, "Errors"; docs/centre.md): each an HTTP status,
// a code a program can act on and a message a person can. Every refusal stores nothing.

export const REFUSAL = Object.freeze({
  MALFORMED: { status: 400, code: 'malformed' },
  UNKNOWN_TERMINAL: { status: 403, code: 'unknown-terminal' },
  BAD_SIGNATURE: { status: 403, code: 'bad-signature' },
  NOT_FOUND: { status: 404, code: 'not-found' },
  FOREIGN_RECORD: { status: 409, code: 'foreign-record' },
  CONFLICTING_RECORD: { status: 409, code: 'conflicting-record' },
  HOTLIST_VERSION: { status: 409, code: 'hotlist-version' },
  CONFLICTING_CERTIFICATE: { status: 409, code: 'conflicting-certificate' },
  TOO_LARGE: { status: 413, code: 'too-large' },
  CONTENT_TYPE: { status: 415, code: 'content-type' },
  BAD_CERTIFICATE: { status: 422, code: 'bad-certificate' },
  BAD_CHANGE_LIST: { status: 422, code: 'bad-change-list' },
  BAD_REQUEST: { status: 400, code: 'bad-request' },
} as const);

export type Refusal = typeof REFUSAL[keyof typeof REFUSAL];

/** A request the centre refuses; `refusal` gives the HTTP status and the JSON error code. */
export class CentreError extends Error {
  override name = 'CentreError';
  readonly status: number;
  readonly code: string;

  constructor(refusal: Refusal, message: string) {
    super(message);
    this.status = refusal.status;
    this.code = refusal.code;
  }
}
