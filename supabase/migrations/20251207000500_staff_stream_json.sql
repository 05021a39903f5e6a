-- staff-sync: streamed reads without re-parsing what they send (docs/protocol.md §7.3, §7.4).
--
-- The stored wire forms become `json` values: `json_agg` and `json_build_object` append a json
-- value's text as it is, where a text had to be cast (parsed) back to json. The stream functions
-- return one json row per page (`setof json`): an RPC answers a set as `json_agg` of its rows,
-- while a single json result is taken apart again with `->0` (the whole stream parsed once more).
--
-- Pages are cut by running sums over the rows in order: a row's offset is the sum of the costs
-- before it, its cost its bytes plus the ", " that joins it, but at least ceil(p_max_bytes /
-- p_max_rows); a page holds the rows whose offsets fall into one p_max_bytes window (a window no
-- row starts in makes no page). So a page holds at most p_max_rows rows and at most p_max_bytes
-- plus one record, as before, without ranking the rows within each window.

alter table public.staff_snapshot_rows alter column wire type json using wire::json;
alter table public.staff_change_rows alter column wire type json using wire::json;
comment on table public.staff_snapshot_rows is
  'Per live record: its wire form (staff_to_wire) as of its last write, and the byte length of its text; kept by staff_log_change.';
comment on table public.staff_change_rows is
  'Per change of the log: its wire form (staff_change_to_wire) and the byte length of its text; kept by staff_log_change, pruned with the log.';

-- As in 20251207000400, storing json, each text built once.
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
  v_departments text[];
  v_department text;
  v_dept_seq bigint;
  v_dept_seqs jsonb := '{}';
  v_wire jsonb;
  v_wire_text text;
  v_logged public.staff_changes;
  v_change text;
begin
  if tg_op = 'INSERT' then
    insert into public.staff_id_registry (id, org_id) values (new.id, new.org_id);
    v_row := new;
    v_op := 'create';
    v_version := new.version;
    v_fields := public.staff_changed_fields(null, new);
    v_departments := public.staff_change_departments(null, new.department);
  elsif tg_op = 'UPDATE' then
    v_row := new;
    v_op := 'update';
    v_version := new.version;
    v_fields := public.staff_changed_fields(old, new);
    v_departments := public.staff_change_departments(old.department, new.department);
  else
    v_row := old;
    v_op := 'delete';
    v_version := old.version + 1;
    v_fields := '{}';
    v_departments := public.staff_change_departments(old.department, null);
  end if;

  insert into public.staff_org_counters as c (org_id, last_seq)
  values (v_row.org_id, 1)
  on conflict (org_id) do update set last_seq = c.last_seq + 1
  returning c.last_seq into v_seq;

  foreach v_department in array v_departments loop
    insert into public.staff_department_counters as c (org_id, department, last_seq)
    values (v_row.org_id, v_department, 1)
    on conflict (org_id, department) do update set last_seq = c.last_seq + 1
    returning c.last_seq into v_dept_seq;
    v_dept_seqs := v_dept_seqs || jsonb_build_object(v_department, v_dept_seq);
  end loop;

  v_wire := public.staff_to_wire(v_row);
  insert into public.staff_changes
    (org_id, seq, op, staff_id, version, staff, changed_fields, actor, origin, request_id, dept_seqs)
  values (
    v_row.org_id, v_seq, v_op, v_row.id, v_version, v_wire, v_fields,
    coalesce(public.staff_setting('actor'), 'db'),
    case when public.staff_setting('origin') = 'ws' then 'ws' else 'db' end,
    public.staff_setting('request_id'),
    v_dept_seqs)
  returning * into v_logged;
  v_change := public.staff_change_to_wire(v_logged)::text;
  insert into public.staff_change_rows (org_id, seq, wire, bytes) values (v_logged.org_id, v_logged.seq, v_change::json, octet_length(v_change));

  if tg_op = 'DELETE' then
    update public.staff_id_registry set deleted_at = now(), deleted_seq = v_seq where id = old.id;
    delete from public.staff_snapshot_rows r where r.org_id = old.org_id and r.id = old.id;
  else
    v_wire_text := v_wire::text;
    insert into public.staff_snapshot_rows as r (org_id, id, wire, bytes)
    values (v_row.org_id, v_row.id, v_wire_text::json, octet_length(v_wire_text))
    on conflict (org_id, id) do update set wire = excluded.wire, bytes = excluded.bytes;
  end if;
  return null;
end
$$;

-- New result types: dropped and created again.
drop function public.staff_changes_stream(text, bigint, integer, integer, integer);
drop function public.staff_snapshot_stream(text, bigint, uuid, integer, integer, integer);
drop function public.staff_stream_pages(text, text, text, integer, integer, integer);

-- Packs stored wire forms into pages (see the top of this file): p_source names the candidates, a
-- query of (ord, bytes) in order of ord, at most $3 rows, reading $1 (the org) and $2 (the key after
-- which it starts, text or null); p_table (staff_snapshot_rows or staff_change_rows) holds their
-- wire forms by p_ord. Answers each page's rows as a JSON array, its last key, and whether rows
-- remain after it (a later page, or rows beyond p_max_pages). The pages are cut over those narrow
-- rows, which stop one page past p_max_pages; only the rows of the pages sent are read with their
-- wire form. The arguments naming SQL are the callers'
-- own, never a client's. work_mem holds those rows' sort (p_max_pages pages of ~p_max_bytes) in
-- memory instead of temporary files, as it holds the stream functions' result rows. Bitmap scans
-- are off: the plan for the next rows of one org in key order is the primary key's ordered scan,
-- which stops after them; without statistics (a table never analysed, as on PGlite, which has no
-- autovacuum) the planner would rather read the whole org and sort it, whatever the read needs.
create function public.staff_stream_pages(
  p_source text, p_table text, p_ord text, p_org_id text, p_from text, p_max_bytes integer, p_max_rows integer, p_max_pages integer)
returns table (items json, last_key text, more boolean)
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s' set work_mem = '16MB' set enable_bitmapscan = off
as $$
declare
  v_least_cost bigint := (p_max_bytes::bigint + p_max_rows - 1) / p_max_rows;
begin
  return query execute format($q$
    with placed as (
      select r.ord,
             sum(greatest(r.bytes + 2, %4$s)) over o - greatest(r.bytes + 2, %4$s) as offset_bytes,
             lag(greatest(r.bytes + 2, %4$s)) over o as cost_before
        from (%1$s) r
      window o as (order by r.ord rows between unbounded preceding and current row)
    ), paged as (
      select p.ord,
             count(*) filter (where p.cost_before is null or (p.offset_bytes - p.cost_before) / %5$s <> p.offset_bytes / %5$s) over o as page
        from placed p
      window o as (order by p.ord rows between unbounded preceding and current row)
    ), marked as (
      select g.ord, g.page, lead(g.page) over (order by g.ord) is distinct from g.page as ends_page, max(g.page) over () as last_page
        from paged g
       where g.page <= %6$s + 1
    )
    select json_agg(t.wire order by m.ord), max(m.ord::text) filter (where m.ends_page), m.page < max(m.last_page)
      from marked m
      join public.%2$I t on t.org_id = $1 and t.%3$I = m.ord
     where m.page <= %6$s
     group by m.page
     order by m.page
  $q$, p_source, p_table, p_ord, v_least_cost, p_max_bytes, p_max_pages)
  using p_org_id, p_from, p_max_pages::bigint * p_max_rows + 1;
end
$$;

-- Where a snapshot stands: the org's latest seq, or p_snapshot_seq when it is one the org reached
-- (a cursor's); any other is an altered cursor.
create function public.staff_snapshot_seq(p_org_id text, p_snapshot_seq bigint)
returns bigint
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_latest bigint := public.staff_latest_seq(p_org_id);
begin
  if p_snapshot_seq is null then
    return v_latest;
  elsif p_snapshot_seq < 0 or p_snapshot_seq > v_latest then
    perform public.staff_raise_invalid('cursor', 'is not a cursor of this org');
  end if;
  return p_snapshot_seq;
end
$$;

-- Whether the log can answer the changes after p_since_seq: false for a seq ahead of the org's
-- latest or older than the retained log (a snapshot answers then); a negative one is refused.
create function public.staff_delta_answers(p_org_id text, p_since_seq bigint)
returns boolean
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_latest bigint := 0;
  v_pruned bigint := 0;
begin
  if p_since_seq < 0 then
    perform public.staff_raise_invalid('payload.sinceSeq', 'must be an integer >= 0');
  end if;
  select c.last_seq, c.pruned_through_seq into v_latest, v_pruned
    from public.staff_org_counters c where c.org_id = p_org_id;
  return p_since_seq is not null and p_since_seq <= coalesce(v_latest, 0) and p_since_seq >= coalesce(v_pruned, 0);
end
$$;

-- Snapshot pages after p_after_id, from one read: one row per page, each as staff_snapshot's
-- (mode, staff, seq, hasMore, afterId); only the last one may have hasMore with nothing after it
-- in this answer (rows beyond p_max_pages pages).
create function public.staff_snapshot_stream(
  p_org_id text, p_snapshot_seq bigint default null, p_after_id uuid default null,
  p_max_bytes integer default 100000, p_max_rows integer default 1000, p_max_pages integer default 64)
returns setof json
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s' set work_mem = '16MB'
as $$
declare
  v_seq bigint;
begin
  perform public.staff_check_stream_limits(p_max_bytes, p_max_rows, p_max_pages);
  v_seq := public.staff_snapshot_seq(p_org_id, p_snapshot_seq);

  return query
    select json_build_object('mode', 'snapshot', 'staff', p.items, 'seq', v_seq, 'hasMore', p.more, 'afterId', case when p.more then p.last_key end)
      from public.staff_stream_pages(
        'select t.id as ord, t.bytes from public.staff_snapshot_rows t
          where t.org_id = $1 and ($2 is null or t.id > $2::uuid) order by t.id limit $3',
        'staff_snapshot_rows', 'id', p_org_id, p_after_id::text, p_max_bytes, p_max_rows, p_max_pages) with ordinality as p (items, last_key, more, n)
     order by p.n;
  if not found then
    return next json_build_object('mode', 'snapshot', 'staff', '[]'::json, 'seq', v_seq, 'hasMore', false, 'afterId', null);
  end if;
end
$$;

-- Delta pages after p_since_seq, from one read: one row per page, each as staff_changes' (mode,
-- changes, seq, hasMore). A p_since_seq ahead of the org's latest seq or older than the retained
-- log answers snapshot pages instead.
create function public.staff_changes_stream(
  p_org_id text, p_since_seq bigint, p_max_bytes integer default 100000, p_max_rows integer default 1000, p_max_pages integer default 64)
returns setof json
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s' set work_mem = '16MB'
as $$
begin
  perform public.staff_check_stream_limits(p_max_bytes, p_max_rows, p_max_pages);
  if not public.staff_delta_answers(p_org_id, p_since_seq) then
    return query select * from public.staff_snapshot_stream(p_org_id, null, null, p_max_bytes, p_max_rows, p_max_pages);
    return;
  end if;

  return query
    select json_build_object('mode', 'delta', 'changes', p.items, 'seq', p.last_key::bigint, 'hasMore', p.more)
      from public.staff_stream_pages(
        'select t.seq as ord, t.bytes from public.staff_change_rows t
          where t.org_id = $1 and t.seq > $2::bigint order by t.seq limit $3',
        'staff_change_rows', 'seq', p_org_id, p_since_seq::text, p_max_bytes, p_max_rows, p_max_pages) with ordinality as p (items, last_key, more, n)
     order by p.n;
  if not found then
    return next json_build_object('mode', 'delta', 'changes', '[]'::json, 'seq', p_since_seq, 'hasMore', false);
  end if;
end
$$;

-- Grants for the functions above (as 0700's block: service_role only).
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
