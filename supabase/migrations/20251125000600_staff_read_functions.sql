-- staff-sync: sync reads (docs/protocol.md §7.3, §7.4), the webhook re-read, pruning and health.
-- Pages are bounded by p_max_rows and by p_max_bytes of their JSON array's text (always at least one
-- row when any remain). The read functions are STABLE: every statement of one call sees one snapshot.

create or replace function public.staff_check_page_limits(p_max_bytes integer, p_max_rows integer)
returns void
language plpgsql immutable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
begin
  if p_max_bytes is null or p_max_bytes < 1 or p_max_rows is null or p_max_rows < 1 then
    raise exception 'p_max_bytes and p_max_rows must be >= 1' using errcode = 'invalid_parameter_value';
  end if;
end
$$;

-- The org's latest committed seq (0 for an org with no changes yet).
create or replace function public.staff_latest_seq(p_org_id text)
returns bigint
language sql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
  select coalesce((select c.last_seq from public.staff_org_counters c where c.org_id = p_org_id), 0)
$$;

-- One snapshot page: the org's records ordered by id after p_after_id. seq is the org's latest
-- committed seq when p_snapshot_seq is null (the first page), else p_snapshot_seq repeated.
create or replace function public.staff_snapshot(
  p_org_id text, p_snapshot_seq bigint default null, p_after_id uuid default null,
  p_max_bytes integer default 100000, p_max_rows integer default 1000)
returns jsonb
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_seq bigint;
  v_latest bigint;
  v_items jsonb[] := '{}';
  v_bytes bigint := 2;
  v_len bigint;
  v_last uuid;
  v_more boolean := false;
  r record;
begin
  perform public.staff_check_page_limits(p_max_bytes, p_max_rows);
  v_latest := public.staff_latest_seq(p_org_id);
  if p_snapshot_seq is null then
    v_seq := v_latest;
  elsif p_snapshot_seq < 0 or p_snapshot_seq > v_latest then
    perform public.staff_raise_invalid('cursor', 'is not a cursor of this org');
  else
    v_seq := p_snapshot_seq;
  end if;

  for r in
    select s.id, public.staff_to_wire(s) as wire
      from public.staff s
     where s.org_id = p_org_id and (p_after_id is null or s.id > p_after_id)
     order by s.id
     limit p_max_rows::bigint + 1
  loop
    v_len := octet_length(r.wire::text) + case when v_last is null then 0 else 2 end;
    if cardinality(v_items) >= p_max_rows or (v_last is not null and v_bytes + v_len > p_max_bytes) then
      v_more := true;
      exit;
    end if;
    v_items := v_items || r.wire;
    v_bytes := v_bytes + v_len;
    v_last := r.id;
  end loop;

  return jsonb_build_object(
    'mode', 'snapshot',
    'staff', to_jsonb(v_items),
    'seq', v_seq,
    'hasMore', v_more,
    'afterId', case when v_more then v_last end);
end
$$;

-- One delta page of the changes after p_since_seq, in seq order; seq is the last change's seq
-- (p_since_seq when empty). A p_since_seq ahead of the org's latest seq or older than the retained
-- log answers the first snapshot page instead (mode 'snapshot').
create or replace function public.staff_changes(
  p_org_id text, p_since_seq bigint, p_max_bytes integer default 100000, p_max_rows integer default 1000)
returns jsonb
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_latest bigint := 0;
  v_pruned bigint := 0;
  v_items jsonb[] := '{}';
  v_bytes bigint := 2;
  v_len bigint;
  v_seq bigint := p_since_seq;
  v_more boolean := false;
  r record;
begin
  perform public.staff_check_page_limits(p_max_bytes, p_max_rows);
  if p_since_seq < 0 then
    perform public.staff_raise_invalid('payload.sinceSeq', 'must be an integer >= 0');
  end if;
  select c.last_seq, c.pruned_through_seq into v_latest, v_pruned
    from public.staff_org_counters c where c.org_id = p_org_id;
  v_latest := coalesce(v_latest, 0);
  v_pruned := coalesce(v_pruned, 0);
  if p_since_seq is null or p_since_seq > v_latest or p_since_seq < v_pruned then
    return public.staff_snapshot(p_org_id, null, null, p_max_bytes, p_max_rows);
  end if;

  for r in
    select l.seq, public.staff_change_to_wire(l) as wire
      from public.staff_changes l
     where l.org_id = p_org_id and l.seq > p_since_seq
     order by l.seq
     limit p_max_rows::bigint + 1
  loop
    v_len := octet_length(r.wire::text) + case when cardinality(v_items) = 0 then 0 else 2 end;
    if cardinality(v_items) >= p_max_rows or (cardinality(v_items) > 0 and v_bytes + v_len > p_max_bytes) then
      v_more := true;
      exit;
    end if;
    v_items := v_items || r.wire;
    v_bytes := v_bytes + v_len;
    v_seq := r.seq;
  end loop;

  return jsonb_build_object('mode', 'delta', 'changes', to_jsonb(v_items), 'seq', v_seq, 'hasMore', v_more);
end
$$;

-- One change of the org by seq (the webhook's re-read), or null.
create or replace function public.staff_change_at(p_org_id text, p_seq bigint)
returns jsonb
language sql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
  select public.staff_change_to_wire(l)
    from public.staff_changes l
   where l.org_id = p_org_id and l.seq = p_seq
$$;

-- The webhook bodies of origin-'db' log entries after p_after_id (the log's global id), oldest first:
-- what pg_net posts on Supabase, for the local stage's relay (record.id is the next p_after_id).
create or replace function public.staff_webhook_events(p_after_id bigint default 0, p_limit integer default 100)
returns jsonb
language sql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
  select coalesce(jsonb_agg(public.staff_webhook_body(l) order by l.id), '[]'::jsonb)
    from (select * from public.staff_changes
           where id > coalesce(p_after_id, 0) and origin = 'db'
           order by id
           limit greatest(coalesce(p_limit, 100), 1)) as l
$$;

-- Deletes log entries that are both older than p_keep_days AND outside the last p_keep_changes of
-- their org (whatever keeps more is kept; the retained log stays a contiguous suffix), records
-- pruned_through_seq, and deletes idempotency keys older than 24 hours.
create or replace function public.staff_prune_log(p_keep_days integer default 7, p_keep_changes integer default 10000)
returns jsonb
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_cutoff timestamptz;
  v_deleted bigint;
  v_keys bigint;
begin
  if p_keep_days is null or p_keep_days < 0 or p_keep_changes is null or p_keep_changes < 0 then
    raise exception 'p_keep_days and p_keep_changes must be >= 0' using errcode = 'invalid_parameter_value';
  end if;
  v_cutoff := now() - make_interval(days => p_keep_days);
  perform set_config('staff_sync.internal', 'prune', true);

  with bounds as (
    select c.org_id,
           least(
             c.last_seq - p_keep_changes,
             coalesce((select min(l.seq) - 1 from public.staff_changes l
                        where l.org_id = c.org_id and l.at >= v_cutoff), c.last_seq)) as through
      from public.staff_org_counters c
  ), pruning as (
    select b.org_id, b.through
      from bounds b join public.staff_org_counters c on c.org_id = b.org_id
     where b.through > c.pruned_through_seq
  ), deleted as (
    delete from public.staff_changes l
     using pruning p
     where l.org_id = p.org_id and l.seq <= p.through
    returning 1
  ), moved as (
    update public.staff_org_counters c
       set pruned_through_seq = greatest(c.pruned_through_seq, p.through)
      from pruning p
     where c.org_id = p.org_id
    returning 1
  )
  select count(*) into v_deleted from deleted;

  delete from public.staff_idempotency_keys where created_at < now() - interval '24 hours';
  get diagnostics v_keys = row_count;

  perform set_config('staff_sync.internal', '', true);
  return jsonb_build_object('deleted', v_deleted, 'idempotencyKeysDeleted', v_keys);
end
$$;

create or replace function public.staff_health()
returns jsonb
language sql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
  select jsonb_build_object(
    'ok', (select count(*) >= 0 from (select 1 from public.staff_org_counters limit 1) as probe),
    'time', public.staff_iso_time(clock_timestamp()))
$$;
