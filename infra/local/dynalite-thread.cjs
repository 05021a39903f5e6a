/**
 * dynalite on a thread of its own. DynamoDB is another service: on this stage, requests to it
 * should not wait for whatever the stage's event loop runs (PGlite's SQL, the gateway's posts),
 * or a query started beside the RPC would finish only after it. Plain CommonJS because a
 * worker thread gets no TypeScript loader (neither under Jest nor tsx).
 *
 * workerData: { path?: string, port: number, host: string }. Posts { port } once listening,
 * or { error }; on any message, closes the server and posts { closed: true }.
 */
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require('dynalite');

const server = dynalite({
  ...(workerData.path ? { path: workerData.path } : {}),
  createTableMs: 0,
  deleteTableMs: 0,
  updateTableMs: 0,
});
server.once('error', (error) => parentPort.postMessage({ error: error.message }));
server.listen(workerData.port, workerData.host, () => parentPort.postMessage({ port: server.address().port }));
parentPort.once('message', () => {
  server.close(() => parentPort.postMessage({ closed: true }));
  server.closeIdleConnections();
});
