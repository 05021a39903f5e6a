-- staff-sync: every staff_* function is callable by service_role only. Supabase grants functions in
-- public to anon and authenticated by default, so each is revoked explicitly. A later migration that
-- adds a function must end with this same block.
do $$
declare
  v_fn regprocedure;
begin
  for v_fn in
    select p.oid::regprocedure
      from pg_proc p
     where p.pronamespace = 'public'::regnamespace and p.proname like 'staff\_%'
  loop
    execute format('revoke execute on function %s from public, anon, authenticated', v_fn);
    execute format('grant execute on function %s to service_role', v_fn);
  end loop;
end
$$;
