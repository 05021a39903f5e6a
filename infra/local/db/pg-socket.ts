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
import type { LocalDbLog } from './log';

export const DEFAULT_DB_PORT = 54322;

export interface PgSocketOptions {
  /** 0 = any free port. @default 54322 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 16 */
  readonly maxConnections?: number;
  readonly log?: LocalDbLog;
}

export interface PgSocket {
  readonly port: number;
  close(): Promise<void>;
}

type SocketDb = Pick<PGlite, 'isInTransaction' | 'runExclusive' | 'execProtocolRawStream' | 'exec'> & {
  readonly waitReady: Promise<void>;
};

const PROTOCOL_3 = 196608;
const isStartupMessage = (message: Uint8Array): boolean =>
  message.length >= 8 && new DataView(message.buffer, message.byteOffset, message.byteLength).getInt32(4) === PROTOCOL_3;

/** A simple-protocol Query message. */
function queryMessage(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message.write('Q', 0, 'latin1');
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}

/**
 * The subset of PGlite that pglite-socket uses, with the gate around each message. A client that
 * connects while no other socket client is connected gets a clean session (`DISCARD ALL`), as a
 * new backend would: no role, search_path or prepared statement left by an earlier client.
 */
function gatedDb(db: PGlite, gate: SessionGate, otherClients: () => number, log?: LocalDbLog): SocketDb {
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
        // pglite-socket's queue stops for good when a message rejects; keep it (and every other
        // client) going, and say what happened.
        pinned = db.isInTransaction();
        log?.(`embedded supabase: a Postgres socket message failed: ${error instanceof Error ? error.message : String(error)}`);
        return undefined as T;
      } finally {
        gate.releaseSocket(pinned);
      }
    },
    execProtocolRawStream: async (message, options) => {
      incomingType = message[0] ?? 0;
      if (isStartupMessage(message) && otherClients() === 0) {
        await db.execProtocolRawStream(queryMessage('DISCARD ALL'), { onRawData: () => undefined });
      }
      return db.execProtocolRawStream(message, {
        ...options,
        onRawData: (data) => {
          scanner.push(data);
          options?.onRawData?.(data);
        },
      });
    },
    // pglite-socket calls this only to roll back the transaction of a client that went away, and
    // does not always await it (server stop): never reject.
    exec: async (sql, options) => {
      await gate.acquireSocket();
      try {
        return await db.exec(sql, options);
      } catch (error) {
        log?.(`embedded supabase: rolling back a departed socket client failed: ${error instanceof Error ? error.message : String(error)}`);
        return [];
      } finally {
        gate.releaseSocket(!db.closed && db.isInTransaction());
      }
    },
  };
}

export async function startPgSocket(db: PGlite, gate: SessionGate, options: PgSocketOptions = {}): Promise<PgSocket> {
  let connectedClients = (): number => 1;
  const server = new PGLiteSocketServer({
    db: gatedDb(db, gate, () => Math.max(0, connectedClients() - 1), options.log) as unknown as PGlite,
    port: options.port ?? DEFAULT_DB_PORT,
    host: options.host ?? '127.0.0.1',
    maxConnections: options.maxConnections ?? 16,
  });
  connectedClients = () => server.getStats().activeConnections;
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  return { port, close: () => server.stop() };
}
