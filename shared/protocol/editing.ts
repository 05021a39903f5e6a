/**
 * The editing marker's timing (docs/protocol.md §7.7), shared by the server and the SDK (no zod,
 * no Node modules). Nothing runs to clear the marker of a client that stopped saying it edits, so
 * every reader drops a marker this long after it was set, and a client that still edits says so
 * again at half that interval.
 */
export const EDITING_TTL_MS = 120_000;
export const EDITING_RENEW_MS = EDITING_TTL_MS / 2;
