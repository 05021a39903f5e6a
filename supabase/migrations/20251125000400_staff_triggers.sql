-- staff-sync: the triggers that own versions and write the change log (its ONE writer), and the
-- guards that refuse TRUNCATE and direct writes to the log and its bookkeeping tables.
--
-- Writers pass who and why through transaction-local settings (set_config(..., true)):
--   staff_sync.actor       user id        (unset: 'db')
--   staff_sync.origin      'ws'           (unset: 'db')
--   staff_sync.request_id  the requestId  (unset: null)

-- A transaction-local staff_sync.* setting, null when unset or empty.
create or replace function public.staff_setting(p_name text)
returns text
language sql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
  select nullif(current_setting('staff_sync.' || p_name, true), '')
$$;

create or replace function public.staff_before_insert()
returns trigger
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
begin
  new.id := coalesce(new.id, gen_random_uuid());
  new.version := 1;
  new.created_at := now();
  new.updated_at := new.created_at;
  new.updated_by := coalesce(public.staff_setting('actor'), 'db');
  return new;
end
$$;

-- Owns version and the timestamps; an update that changes no data field is skipped (not logged).
create or replace function public.staff_before_update()
returns trigger
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
begin
  if new.id is distinct from old.id or new.org_id is distinct from old.org_id then
    raise exception 'staff.id and staff.org_id cannot be changed'
      using errcode = 'feature_not_supported';
  end if;
  if (new.name, new.email, new.phone, new.position, new.department, new.employment_type, new.status,
      new.start_date, new.end_date, new.display_order, new.metadata)
     is not distinct from
     (old.name, old.email, old.phone, old.position, old.department, old.employment_type, old.status,
      old.start_date, old.end_date, old.display_order, old.metadata) then
    return null;
  end if;
  new.version := old.version + 1;
  new.created_at := old.created_at;
  new.updated_at := now();
  new.updated_by := coalesce(public.staff_setting('actor'), 'db');
  return new;
end
$$;

-- Takes the org's next seq (the counter row stays locked until commit: gapless, in commit order)
-- and logs the change; a delete also writes the id's tombstone.
create or replace function public.staff_log_change()
returns trigger
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_row public.staff;
  v_op text;
  v_version integer;
  v_fields text[];
  v_seq bigint;
begin
  if tg_op = 'INSERT' then
    insert into public.staff_id_registry (id, org_id) values (new.id, new.org_id);
    v_row := new;
    v_op := 'create';
    v_version := new.version;
    v_fields := public.staff_changed_fields(null, new);
  elsif tg_op = 'UPDATE' then
    v_row := new;
    v_op := 'update';
    v_version := new.version;
    v_fields := public.staff_changed_fields(old, new);
  else
    v_row := old;
    v_op := 'delete';
    v_version := old.version + 1;
    v_fields := '{}';
  end if;

  insert into public.staff_org_counters as c (org_id, last_seq)
  values (v_row.org_id, 1)
  on conflict (org_id) do update set last_seq = c.last_seq + 1
  returning c.last_seq into v_seq;

  insert into public.staff_changes
    (org_id, seq, op, staff_id, version, staff, changed_fields, actor, origin, request_id)
  values (
    v_row.org_id, v_seq, v_op, v_row.id, v_version, public.staff_to_wire(v_row), v_fields,
    coalesce(public.staff_setting('actor'), 'db'),
    case when public.staff_setting('origin') = 'ws' then 'ws' else 'db' end,
    public.staff_setting('request_id'));

  if tg_op = 'DELETE' then
    update public.staff_id_registry set deleted_at = now(), deleted_seq = v_seq where id = old.id;
  end if;
  return null;
end
$$;

-- Guard for the log and the bookkeeping tables: written only from inside the staff triggers
-- (trigger depth > 1) or by staff_prune_log (which sets staff_sync.internal = 'prune').
create or replace function public.staff_guard_internal_write()
returns trigger
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
begin
  if pg_trigger_depth() > 1 or public.staff_setting('internal') = 'prune' then
    return case when tg_op = 'DELETE' then old else new end;
  end if;
  raise exception 'direct % on %.% is refused: it is written only by the triggers on public.staff',
    tg_op, tg_table_schema, tg_table_name
    using errcode = 'insufficient_privilege',
          hint = 'Write to public.staff; its triggers keep the change log.';
end
$$;

create or replace function public.staff_refuse_truncate()
returns trigger
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
begin
  raise exception 'TRUNCATE of %.% is refused: deletes must be logged, one row at a time',
    tg_table_schema, tg_table_name
    using errcode = 'insufficient_privilege';
end
$$;

create trigger staff_before_insert before insert on public.staff
  for each row execute function public.staff_before_insert();
create trigger staff_before_update before update on public.staff
  for each row execute function public.staff_before_update();
create trigger staff_log_change after insert or update or delete on public.staff
  for each row execute function public.staff_log_change();
create trigger staff_refuse_truncate before truncate on public.staff
  for each statement execute function public.staff_refuse_truncate();

create trigger staff_changes_guard before insert or update or delete on public.staff_changes
  for each row execute function public.staff_guard_internal_write();
create trigger staff_changes_refuse_truncate before truncate on public.staff_changes
  for each statement execute function public.staff_refuse_truncate();
create trigger staff_org_counters_guard before insert or update or delete on public.staff_org_counters
  for each row execute function public.staff_guard_internal_write();
create trigger staff_org_counters_refuse_truncate before truncate on public.staff_org_counters
  for each statement execute function public.staff_refuse_truncate();
create trigger staff_id_registry_guard before insert or update or delete on public.staff_id_registry
  for each row execute function public.staff_guard_internal_write();
create trigger staff_id_registry_refuse_truncate before truncate on public.staff_id_registry
  for each statement execute function public.staff_refuse_truncate();

-- Supabase Database Webhook shape for one log row (what pg_net posts; the local stage's relay
-- delivers the same body from staff_webhook_events).
create or replace function public.staff_webhook_body(p_change public.staff_changes)
returns jsonb
language sql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
  select jsonb_build_object(
    'type', 'INSERT',
    'table', 'staff_changes',
    'schema', 'public',
    'record', to_jsonb(p_change),
    'old_record', null)
$$;

-- Posts origin-'db' changes to the webhook Lambda through pg_net, with the URL and secret read from
-- Vault (secrets 'staff_sync_webhook_url' and 'staff_sync_webhook_secret'). Never fails the write:
-- a missing secret or a pg_net error is a warning (clients catch up through seq).
create or replace function public.staff_webhook_post()
returns trigger
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_url text;
  v_secret text;
begin
  select decrypted_secret into v_url
    from vault.decrypted_secrets where name = 'staff_sync_webhook_url' limit 1;
  select decrypted_secret into v_secret
    from vault.decrypted_secrets where name = 'staff_sync_webhook_secret' limit 1;
  if v_url is null or v_secret is null then
    raise warning 'staff-sync webhook: Vault secrets staff_sync_webhook_url / staff_sync_webhook_secret are not set; change % of org % not posted',
      new.seq, new.org_id;
    return null;
  end if;
  begin
    perform net.http_post(
      url := v_url,
      body := public.staff_webhook_body(new),
      headers := jsonb_build_object(
        'Content-Type', 'application/json',
        'x-staff-sync-webhook-secret', v_secret),
      timeout_milliseconds := 5000);
  exception when others then
    raise warning 'staff-sync webhook: net.http_post failed (%); change % of org % not posted',
      sqlerrm, new.seq, new.org_id;
  end;
  return null;
end
$$;

-- The trigger exists only where pg_net and Vault do (Supabase), so these migrations also apply to
-- plain PostgreSQL and PGlite. pg_net is enabled here when it is available but not yet enabled.
do $$
begin
  if to_regclass('vault.decrypted_secrets') is null then
    raise notice 'staff-sync: no Vault here; database-origin changes are not posted by pg_net';
    return;
  end if;
  if to_regprocedure('net.http_post(text,jsonb,jsonb,jsonb,integer)') is null
     and exists (select 1 from pg_available_extensions where name = 'pg_net') then
    begin
      create extension if not exists pg_net;
    exception when others then
      raise notice 'staff-sync: pg_net could not be enabled (%)', sqlerrm;
    end;
  end if;
  if to_regprocedure('net.http_post(text,jsonb,jsonb,jsonb,integer)') is null then
    raise notice 'staff-sync: no pg_net here; database-origin changes are not posted';
    return;
  end if;
  create trigger staff_webhook_post after insert on public.staff_changes
    for each row when (new.origin = 'db') execute function public.staff_webhook_post();
end
$$;
