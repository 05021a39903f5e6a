/** The staff-sync client SDK: `connect()` and its types. */
export { connect, StaffSyncClient } from './client';
export type { StaffSyncEvents, StaffSyncState } from './client';
export type { ConnectionStatus, ReconnectOptions, TokenProvider, TokenSource, WebSocketConstructor, WebSocketLike } from './connection';
export type { ConnectOptions } from './options';
export type { StaffSyncPresence } from './presence';
export { indexedDbStorage, memoryStorage } from './persistence';
export type { ClientStorage, IndexedDbStorageOptions, PersistedState } from './persistence';
export { CLIENT_ERROR_CODES, StaffSyncClientError, isStaffSyncClientError } from './errors';
export type { ClientErrorCode, StaffSyncErrorCode } from './errors';
export type { BatchOperation, BatchResult, Change, PresenceMember, EmploymentType, ErrorCode, FieldIssue, Staff, StaffChanges, StaffFields, StaffInput, StaffStatus, WriteFrame } from './protocol';
export { splitBatch } from './writes';
export type { BatchRequest } from './writes';
