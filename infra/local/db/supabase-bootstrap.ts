/**
 * What a Supabase project has before any migration and plain Postgres or PGlite lacks: the API
 * roles PostgREST switches to and the `extensions` schema. Idempotent; run at every start, before
 * the migrations. On a hosted project (or a Postgres that already has them) it changes nothing.
 */
export const SUPABASE_BOOTSTRAP_SQL = `
do $bootstrap$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  -- A non-superuser DATABASE_URL user needs membership to SET ROLE (Supabase's authenticator has it).
  if not (select rolsuper from pg_roles where rolname = current_user) then
    begin
      execute format('grant anon, authenticated, service_role to %I', current_user);
    exception when others then
      raise notice 'could not grant API roles to %: %', current_user, sqlerrm;
    end;
  end if;
end
$bootstrap$;
create schema if not exists extensions;
grant usage on schema public to anon, authenticated, service_role;
grant usage on schema extensions to anon, authenticated, service_role;
`;
