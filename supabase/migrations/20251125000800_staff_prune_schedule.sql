-- staff-sync: the scheduled pruning of the change log (docs/protocol.md §7.6: at least 7 days or
-- the last 10 000 changes per org are kept, older entries pruned by a scheduled job).
-- Only where pg_cron is installed (Supabase: Database → Extensions → pg_cron); plain Postgres and
-- PGlite skip it. Re-running this (or enabling pg_cron later and running the statement below by
-- hand) updates the job in place: pg_cron keys jobs by name.
do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    execute $sql$select cron.schedule('staff-sync-prune-log', '17 3 * * *', 'select public.staff_prune_log()')$sql$;
  end if;
end
$$;
