/** The embedded Supabase of the local stage and the tests (see local-supabase.ts). */
export { startLocalSupabase, type LocalSupabase, type LocalSupabaseOptions, type LocalSupabaseService } from './local-supabase';
export { startLocalSupabaseThread, type LocalSupabaseThreadOptions } from './supabase-thread-host';
export { makeAnonKey, makePublishableKey, makeSecretKey, makeServiceRoleKey } from './rpc-auth';
export { startRpcServer, type RpcServer, type RpcServerOptions } from './rpc-server';
export { ConnectionWaitTimeoutError, type DbExecutor, type SqlClient } from './executor';
export type { LocalDbLog } from './log';
