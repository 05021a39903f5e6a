-- staff-sync: a whole sync from one read (docs/protocol.md §7.3, §7.4): SYNC_REQUEST { stream: true }
-- is answered by up to p_max_pages pages of one statement, sent as consecutive frames, instead of
-- one round trip (HTTP, transaction, validation) per page.
--
-- Streams read wire text stored when it was written, instead of converting every row: a snapshot
-- each live record's (staff_snapshot_rows), a delta each change's (staff_change_rows), both kept by
-- the change-log trigger, which builds those wire forms anyway. A change's text goes when the log
-- row is pruned.
--
-- Pages of a stream: rows in order, each page starting with the row whose offset in the stream's
-- JSON falls into the page's p_max_bytes window, at most p_max_rows rows; so a page holds at most
-- p_max_bytes plus one record (a record is under 12 KB: a frame stays under 128 KB).

create table public.staff_snapshot_rows (
  org_id text not null,
  id uuid not null,
  wire text not null,
  bytes integer not null,
  constraint staff_snapshot_rows_pkey primary key (org_id, id)
);
comment on table public.staff_snapshot_rows is
  'Per live record: its wire text (staff_to_wire) as of its last write, and that text''s length; kept by staff_log_change.';
alter table public.staff_snapshot_rows enable row level security;
revoke all on table public.staff_snapshot_rows from public, anon, authenticated;

insert into public.staff_snapshot_rows (org_id, id, wire, bytes)
select s.org_id, s.id, public.staff_to_wire(s)::text, octet_length(public.staff_to_wire(s)::text) from public.staff s;

create table public.staff_change_rows (
  org_id text not null,
  seq bigint not null,
  wire text not null,
  bytes integer not null,
  constraint staff_change_rows_pkey primary key (org_id, seq)
);
comment on table public.staff_change_rows is
  'Per change of the log: its wire text (staff_change_to_wire) and that text''s length; kept by staff_log_change, pruned with the log.';
alter table public.staff_change_rows enable row level security;
revoke all on table public.staff_change_rows from public, anon, authenticated;

insert into public.staff_change_rows (org_id, seq, wire, bytes)
select l.org_id, l.seq, public.staff_change_to_wire(l)::text, octet_length(public.staff_change_to_wire(l)::text) from public.staff_changes l;

create trigger staff_change_rows_guard before insert or update or delete on public.staff_change_rows
  for each row execute function public.staff_guard_internal_write();
create trigger staff_change_rows_refuse_truncate before truncate on public.staff_change_rows
  for each statement execute function public.staff_refuse_truncate();

-- Pruned log rows take their wire text along (a trigger, not a foreign key: TRUNCATE of the log must
-- still meet staff_refuse_truncate's message).
create or replace function public.staff_change_rows_follow_prune()
returns trigger
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
begin
  delete from public.staff_change_rows r using pruned p where r.org_id = p.org_id and r.seq = p.seq;
  return null;
end
$$;

create trigger staff_change_rows_follow_prune after delete on public.staff_changes
  referencing old table as pruned
  for each statement execute function public.staff_change_rows_follow_prune();

create trigger staff_snapshot_rows_guard before insert or update or delete on public.staff_snapshot_rows
  for each row execute function public.staff_guard_internal_write();
create trigger staff_snapshot_rows_refuse_truncate before truncate on public.staff_snapshot_rows
  for each statement execute function public.staff_refuse_truncate();

-- As in 20251207000200, and: the record's wire text kept in staff_snapshot_rows (computed once, for the
-- log and for it), and the change's in staff_change_rows.
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
  insert into public.staff_change_rows (org_id, seq, wire, bytes) values (v_logged.org_id, v_logged.seq, v_change, octet_length(v_change));

  if tg_op = 'DELETE' then
    update public.staff_id_registry set deleted_at = now(), deleted_seq = v_seq where id = old.id;
    delete from public.staff_snapshot_rows r where r.org_id = old.org_id and r.id = old.id;
  else
    insert into public.staff_snapshot_rows as r (org_id, id, wire, bytes)
    values (v_row.org_id, v_row.id, v_wire::text, octet_length(v_wire::text))
    on conflict (org_id, id) do update set wire = excluded.wire, bytes = excluded.bytes;
  end if;
  return null;
end
$$;

-- Packs the rows of p_source into pages (see the top of this file): each page's rows joined as
-- JSON array items, its last key, and whether rows remain after it (a later page, or rows beyond
-- p_max_pages). p_source is a query of (key, ord, wire, bytes) in order, at most p_max_pages *
-- p_max_rows + 1 rows, reading $1 (the org) and $2 (where it starts); its text is the callers'
-- own, never a client's. Run as one statement: the rows are never copied into an array.
create or replace function public.staff_stream_pages(
  p_source text, p_org_id text, p_from text, p_max_bytes integer, p_max_rows integer, p_max_pages integer)
returns table (page bigint, items text, last_key text, more boolean)
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
begin
  return query execute format($q$
    with source as (%1$s),
    sized as (
      select s.key, s.ord, s.wire, row_number() over (order by s.ord) as rn,
             (sum(s.bytes + 2) over (order by s.ord) - s.bytes - 2) / %2$s as window_no
        from source s
    ), split as (
      select z.*, (row_number() over (partition by z.window_no order by z.ord) - 1) / %3$s as part from sized z where z.rn <= %4$s
    ), numbered as (
      select t.*, dense_rank() over (order by t.window_no, t.part) as page from split t
    ), pages as (
      select n.page, string_agg(n.wire, ', ' order by n.ord) as items, (array_agg(n.key order by n.ord desc))[1] as last_key
        from numbered n group by n.page
    )
    select p.page, p.items, p.last_key, p.page < (select max(q.page) from pages q) or (select count(*) from sized) > %4$s
      from pages p
     where p.page <= %5$s
     order by p.page
  $q$, p_source, p_max_bytes, p_max_rows, p_max_pages::bigint * p_max_rows, p_max_pages)
  using p_org_id, p_from, p_max_pages::bigint * p_max_rows + 1;
end
$$;

create or replace function public.staff_check_stream_limits(p_max_bytes integer, p_max_rows integer, p_max_pages integer)
returns void
language plpgsql immutable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
begin
  perform public.staff_check_page_limits(p_max_bytes, p_max_rows);
  if p_max_pages is null or p_max_pages < 1 then
    raise exception 'p_max_pages must be >= 1' using errcode = 'invalid_parameter_value';
  end if;
end
$$;

-- Snapshot pages after p_after_id, from one read: {"pages": [page, ...]}, each page as
-- staff_snapshot's (mode, staff, seq, hasMore, afterId); only the last one may have hasMore with
-- nothing after it in this answer (rows beyond p_max_pages pages).
create or replace function public.staff_snapshot_stream(
  p_org_id text, p_snapshot_seq bigint default null, p_after_id uuid default null,
  p_max_bytes integer default 100000, p_max_rows integer default 1000, p_max_pages integer default 64)
returns json
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_seq bigint;
  v_latest bigint;
  v_pages text;
begin
  perform public.staff_check_stream_limits(p_max_bytes, p_max_rows, p_max_pages);
  v_latest := public.staff_latest_seq(p_org_id);
  if p_snapshot_seq is null then
    v_seq := v_latest;
  elsif p_snapshot_seq < 0 or p_snapshot_seq > v_latest then
    perform public.staff_raise_invalid('cursor', 'is not a cursor of this org');
  else
    v_seq := p_snapshot_seq;
  end if;

  select string_agg('{"mode": "snapshot", "staff": [' || p.items || '], "seq": ' || v_seq || ', "hasMore": ' || p.more
           || ', "afterId": ' || case when p.more then to_json(p.last_key)::text else 'null' end || '}', ', ' order by p.page)
    into v_pages
    from public.staff_stream_pages(
      'select r.id::text as key, r.id as ord, r.wire, r.bytes from public.staff_snapshot_rows r
        where r.org_id = $1 and ($2::uuid is null or r.id > $2::uuid) order by r.id limit $3',
      p_org_id, p_after_id::text, p_max_bytes, p_max_rows, p_max_pages) p;

  return ('{"pages": [' || coalesce(v_pages, '{"mode": "snapshot", "staff": [], "seq": ' || v_seq || ', "hasMore": false, "afterId": null}') || ']}')::json;
end
$$;

-- Delta pages after p_since_seq, from one read: {"pages": [page, ...]}, each as staff_changes'
-- (mode, changes, seq, hasMore). A p_since_seq ahead of the org's latest seq or older than the
-- retained log answers snapshot pages instead.
create or replace function public.staff_changes_stream(
  p_org_id text, p_since_seq bigint, p_max_bytes integer default 100000, p_max_rows integer default 1000, p_max_pages integer default 64)
returns json
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_latest bigint := 0;
  v_pruned bigint := 0;
  v_pages text;
begin
  perform public.staff_check_stream_limits(p_max_bytes, p_max_rows, p_max_pages);
  if p_since_seq < 0 then
    perform public.staff_raise_invalid('payload.sinceSeq', 'must be an integer >= 0');
  end if;
  select c.last_seq, c.pruned_through_seq into v_latest, v_pruned
    from public.staff_org_counters c where c.org_id = p_org_id;
  v_latest := coalesce(v_latest, 0);
  v_pruned := coalesce(v_pruned, 0);
  if p_since_seq is null or p_since_seq > v_latest or p_since_seq < v_pruned then
    return public.staff_snapshot_stream(p_org_id, null, null, p_max_bytes, p_max_rows, p_max_pages);
  end if;

  select string_agg('{"mode": "delta", "changes": [' || p.items || '], "seq": ' || p.last_key || ', "hasMore": ' || p.more || '}', ', ' order by p.page)
    into v_pages
    from public.staff_stream_pages(
      'select r.seq::text as key, r.seq as ord, r.wire, r.bytes from public.staff_change_rows r
        where r.org_id = $1 and r.seq > $2::bigint order by r.seq limit $3',
      p_org_id, p_since_seq::text, p_max_bytes, p_max_rows, p_max_pages) p;

  return ('{"pages": [' || coalesce(v_pages, '{"mode": "delta", "changes": [], "seq": ' || p_since_seq || ', "hasMore": false}') || ']}')::json;
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
