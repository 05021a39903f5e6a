/**
 * Jest `globalSetup` of the projects whose suites start PGlite: builds the migrated-database
 * fixture once, before any worker runs a suite. Without it the first suite to start a database
 * also ran initdb, the migrations and the dump inside its `beforeAll` (seconds on a busy box).
 */
import { pgliteFixture } from './local-supabase';

export default async function globalSetup(): Promise<void> {
  await pgliteFixture();
}
