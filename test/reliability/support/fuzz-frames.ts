/**
 * Generated client frames for the fuzzer: the types and builders the families share (the families
 * are in fuzz-frames-envelope.ts and fuzz-frames-writes.ts, their mix in fuzz-mix.ts). Each `Spec` is a recipe that becomes a
 * concrete `Draft` (the bytes to send and what the parser must make of them) against the lane's
 * state when its turn comes, so frames can name live, deleted and other orgs' records.
 *
 * Parser-level outcomes (BAD_REQUEST, UNKNOWN_TYPE, VALIDATION_FAILED, PAYLOAD_TOO_LARGE) are
 * known by construction; the store-level ones (ACK, NOT_FOUND, conflicts, replays) are decided
 * by the model (fuzz-model.ts).
 */
import fc from 'fast-check';
import type { ErrorCode } from '../../../shared/errors';

/** 0 = manager, 1 = admin, 2 = viewer (read only). */
export type UserIx = 0 | 1 | 2;

export type ParsedFrame =
  | { readonly type: 'PING'; readonly requestId?: string }
  | {
      readonly type: 'SYNC_REQUEST';
      readonly requestId?: string;
      readonly sinceSeq?: number;
      readonly cursor?: 'foreign' | 'garbage' | 'ahead';
      readonly departments?: readonly string[];
      readonly sinceDeptSeqs?: Readonly<Record<string, number>>;
    }
  | { readonly type: 'STAFF_CREATE'; readonly requestId: string; readonly staff: Record<string, unknown> }
  | { readonly type: 'STAFF_UPDATE'; readonly requestId: string; readonly staffId: string; readonly baseVersion: number; readonly changes: Record<string, unknown> }
  | { readonly type: 'STAFF_DELETE'; readonly requestId: string; readonly staffId: string; readonly baseVersion: number }
  | {
      readonly type: 'STAFF_BATCH';
      readonly requestId: string;
      readonly operations: ReadonlyArray<
        | { readonly op: 'create'; readonly staff: Record<string, unknown> }
        | { readonly op: 'update'; readonly staffId: string; readonly baseVersion: number; readonly changes: Record<string, unknown> }
        | { readonly op: 'delete'; readonly staffId: string; readonly baseVersion: number }
      >;
    }
  | { readonly type: 'PRESENCE_REQUEST'; readonly requestId?: string }
  | { readonly type: 'PRESENCE_EDITING'; readonly requestId?: string; readonly staffId: string | null }
  | { readonly type: 'SUBSCRIBE'; readonly requestId?: string; readonly departments?: readonly string[] };

export interface Draft {
  /** The generator family, for the figures. */
  readonly family: string;
  /** What the `type` field says (or why there is none), for the figures. */
  readonly typeLabel: string;
  readonly as: UserIx;
  /** A text frame, or bytes for a binary frame. */
  readonly wire: string | Uint8Array;
  /** Over a socket: split a text frame over 32 KB into ≤ 32 KB fragments of one message. */
  readonly fragment: boolean;
  /** `wire` bytes go out as a TEXT frame (invalid UTF-8: the WebSocket layer fails the connection with 1007). */
  readonly textBytes?: boolean;
  /** The parser's refusal, or undefined when the frame parses. */
  readonly refusal?: { readonly code: ErrorCode; readonly echo?: string };
  /** The parsed frame (when it parses), in the form the model judges. */
  readonly frame?: ParsedFrame;
}

/** What a recipe can see of the lane when it is turned into bytes. */
export interface LaneView {
  readonly orgId: string;
  readonly foreignOrgId: string;
  live(): readonly { id: string; version: number; staff: Record<string, unknown> }[];
  deleted(): readonly string[];
  /** Live and deleted ids of other orgs (the foreign fixture org and the other lanes). */
  foreign(): readonly { id: string; staff?: Record<string, unknown> }[];
  latestSeq(): number;
  /** The departments live records are in (as stored), and where one department's seqs stand. */
  departments(): readonly string[];
  departmentSeq(department: string): number;
  /** Committed writes of a user: their requestId and exact wire text, for replays and reuse. */
  committed(user: UserIx): readonly { requestId: string; wire: string }[];
  /** A requestId never used in this lane. */
  freshRequestId(): string;
}

export interface Spec {
  readonly family: string;
  readonly as: UserIx;
  make(view: LaneView): Draft;
}

export const WRITE_TYPES = ['STAFF_CREATE', 'STAFF_UPDATE', 'STAFF_DELETE', 'STAFF_BATCH'] as const;
export const ALL_TYPES = [...WRITE_TYPES, 'SYNC_REQUEST', 'PRESENCE_REQUEST', 'PRESENCE_EDITING', 'SUBSCRIBE', 'PING'] as const;

export const userArb = fc.constantFrom<UserIx>(0, 0, 0, 1, 1, 2);
export const writerArb = fc.constantFrom<UserIx>(0, 0, 1);
/** Mostly writers; the viewer's writes must all be FORBIDDEN. */
export const mostlyWritersArb = fc.constantFrom<UserIx>(0, 0, 0, 0, 1, 1, 1, 2);
export const pick = <T>(items: readonly T[], n: number): T | undefined => (items.length === 0 ? undefined : items[n % items.length]);
export const upper = (id: string) => id.toUpperCase();

/** A recipe's result; the family and (unless the recipe picks one) the user come from the spec. */
export type Made = Omit<Draft, 'family' | 'as'> & { readonly as?: UserIx };

export const text = (wire: string, code: ErrorCode, typeLabel = 'not JSON', fragment = false): Made => ({ typeLabel, wire, fragment, refusal: { code } });

const labelOf = (type: unknown): string =>
  typeof type === 'string' ? ((ALL_TYPES as readonly string[]).includes(type) ? type : 'unknown type') : type === undefined ? 'no type' : 'type not a string';

/** A number written into the wire as is (`1e400`), which JSON.stringify cannot produce. */
export const rawNumber = (text: string): string => `@@raw:${text}@@`;
const RAW_NUMBER = /"@@raw:([^@"]+)@@"/g;
const wireOf = (frame: unknown): string => JSON.stringify(frame).replace(RAW_NUMBER, '$1');

export const objectDraft = (frame: Record<string, unknown>, refusal?: Draft['refusal'], parsed?: ParsedFrame, fragment = false): Made => ({
  typeLabel: labelOf(frame.type),
  wire: wireOf(frame),
  fragment,
  ...(refusal ? { refusal } : {}),
  ...(parsed ? { frame: parsed } : {}),
});

export const spec = (family: string, arb: fc.Arbitrary<(view: LaneView) => Made>, users: fc.Arbitrary<UserIx> = userArb): fc.Arbitrary<Spec> =>
  fc.tuple(arb, users).map(([make, as]) => ({
    family,
    as,
    make: (view) => {
      const made = make(view);
      return { ...made, family, as: made.as ?? as };
    },
  }));
