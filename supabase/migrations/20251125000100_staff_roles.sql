-- staff-sync: the API roles Supabase provides. Plain PostgreSQL and PGlite lack them, so they are
-- created only when missing; on Supabase this migration changes nothing.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    begin
      create role service_role nologin noinherit bypassrls;
    exception when insufficient_privilege then
      -- BYPASSRLS needs a superuser; the functions are SECURITY DEFINER, so the role works without it.
      create role service_role nologin noinherit;
    end;
  end if;
end
$$;

grant usage on schema public to anon, authenticated, service_role;
