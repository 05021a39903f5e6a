/**
 * Runs a TypeScript module (workerData.entry) on a worker thread. A worker thread gets no
 * TypeScript loader of its parent (neither Jest's transform nor tsx's), so this plain CommonJS
 * entry registers tsx's require hook first.
 */
const { workerData } = require('node:worker_threads');
require('tsx/cjs/api').register();
require(workerData.entry);
