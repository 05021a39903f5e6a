/** Where the embedded Supabase reports what it did (the local stage's logger; tests pass nothing). One line per entry. */
export type LocalDbLog = (message: string) => void;
