/**
 * PGlite over the Postgres wire protocol (for psql and other clients) on DB_PORT.
 *
 * pglite-socket's queue runs one client message at a time with `db.runExclusive` and prefers the
 * client that opened a transaction. We hand it a gated view of the database: every message first
 * takes the `SessionGate` as 'socket', and keeps it after the message while the session is not idle
 * — the last ReadyForQuery said 'T'/'E' (open or failed transaction), or the message did not end
 * with a ReadyForQuery at all (Parse/Bind/Execute before Sync, COPY in progress). In-process
 * transactions therefore never run inside, or between the pieces of, a socket client's work: a psql
 * session idle in a transaction makes RPC calls wait and then fail as unavailable, and can neither
 * absorb nor roll back what they wrote.
 */
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { SessionGate } from './session-gate';
import { BackendMessageScanner, READY_FOR_QUERY, TERMINATE } from './pg-protocol';

export const DEFAULT_DB_PORT = 54322;

export interface PgSocketOptions {
  /** 0 = any free port. @default 54322 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 16 */
  readonly maxConnections?: number;
}

export interface PgSocket {
  readonly port: number;
  close(): Promise<void>;
}

type SocketDb = Pick<PGlite, 'isInTransaction' | 'runExclusive' | 'execProtocolRawStream' | 'exec'> & {
  readonly waitReady: Promise<void>;
};

/** The subset of PGlite that pglite-socket uses, with the gate around each message. */
function gatedDb(db: PGlite, gate: SessionGate): SocketDb {
  const scanner = new BackendMessageScanner();
  let incomingType = 0;
  return {
    get waitReady() {
      return db.waitReady;
    },
    isInTransaction: () => gate.socketPinned || db.isInTransaction(),
    runExclusive: async <T>(fn: () => Promise<T>): Promise<T> => {
      await gate.acquireSocket();
      scanner.reset();
      incomingType = 0;
      let pinned = true;
      try {
        const result = await db.runExclusive(fn);
        if (scanner.lastType === READY_FOR_QUERY) pinned = scanner.lastStatus !== 'I';
        else if (incomingType === TERMINATE) pinned = db.isInTransaction();
        return result;
      } catch (error) {
        pinned = db.isInTransaction();
        throw error;
      } finally {
        gate.releaseSocket(pinned);
      }
    },
    execProtocolRawStream: (message, options) => {
      incomingType = message[0] ?? 0;
      return db.execProtocolRawStream(message, {
        ...options,
        onRawData: (data) => {
          scanner.push(data);
          options?.onRawData?.(data);
        },
      });
    },
    // pglite-socket calls this only to roll back the transaction of a client that went away.
    exec: async (sql, options) => {
      await gate.acquireSocket();
      try {
        return await db.exec(sql, options);
      } finally {
        gate.releaseSocket(db.isInTransaction());
      }
    },
  };
}

export async function startPgSocket(db: PGlite, gate: SessionGate, options: PgSocketOptions = {}): Promise<PgSocket> {
  const server = new PGLiteSocketServer({
    db: gatedDb(db, gate) as unknown as PGlite,
    port: options.port ?? DEFAULT_DB_PORT,
    host: options.host ?? '127.0.0.1',
    maxConnections: options.maxConnections ?? 16,
  });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  return { port, close: () => server.stop() };
}
