-- staff-sync: page-by-page syncs (SYNC_REQUEST without `stream`, docs/protocol.md §7.4) read the
-- stored wire forms as streamed reads do, instead of converting row by row in a loop.
--
-- A page is cut as before: the rows in order while their JSON array stays within p_max_bytes and
-- p_max_rows, and always at least one. Here a running sum finds that prefix over narrow rows (order
-- key and length); only its rows are read with their wire form.

-- One page of stored wire forms: p_source names the candidates, a query of (ord, bytes) in order of
-- ord, at most $3 rows, reading $1 (the org), $2 (the key after which it starts, text or null), $4
-- (departments) and $5 (positions) as it needs; p_table (staff_snapshot_rows or staff_change_rows)
-- holds their wire forms by p_ord. Answers the page's rows as a JSON array (null when none
-- remain), its last key, and whether rows remain after it. The arguments naming SQL are the
-- callers' own, never a client's. Bitmap scans are off as in staff_stream_pages
-- (20251207000500): a page reads only its own rows in key order.
create function public.staff_page_rows(
  p_source text, p_table text, p_ord text, p_org_id text, p_from text, p_departments text[], p_since jsonb,
  p_max_bytes integer, p_max_rows integer)
returns table (items json, last_key text, more boolean)
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s' set enable_bitmapscan = off
as $$
begin
  -- A page's bytes: "[" and "]" plus each row and the ", " before all but the first, so the sum
  -- of (bytes + 2) over its rows.
  return query execute format($q$
    with placed as (
      select r.ord, row_number() over o as n, sum(r.bytes + 2) over o as page_bytes, lead(r.bytes) over o as next_bytes
        from (%1$s) r
      window o as (order by r.ord rows between unbounded preceding and current row)
    ), taken as (
      select p.ord, p.next_bytes,
             p.next_bytes is null or p.n >= %5$s or p.page_bytes + p.next_bytes + 2 > %4$s as ends_page
        from placed p
       where p.n = 1 or (p.n <= %5$s and p.page_bytes <= %4$s)
    )
    select json_agg(t.wire order by k.ord), max(k.ord::text) filter (where k.ends_page),
           coalesce(bool_or(k.ends_page and k.next_bytes is not null), false)
      from taken k
      join public.%2$I t on t.org_id = $1 and t.%3$I = k.ord
  $q$, p_source, p_table, p_ord, p_max_bytes, p_max_rows)
  using p_org_id, p_from, p_max_rows::bigint + 1, p_departments, p_since;
end
$$;

-- Pages are now json as the stored forms are (jsonb would parse every page once more): a new
-- result type, so dropped and created again.
drop function public.staff_changes(text, bigint, integer, integer);
drop function public.staff_snapshot(text, bigint, uuid, integer, integer);

-- As in 20251125000600: one snapshot page after p_after_id, at p_snapshot_seq (a cursor's) or the
-- org's latest seq.
create function public.staff_snapshot(
  p_org_id text, p_snapshot_seq bigint default null, p_after_id uuid default null,
  p_max_bytes integer default 100000, p_max_rows integer default 1000)
returns json
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_seq bigint;
  v_page json;
begin
  perform public.staff_check_page_limits(p_max_bytes, p_max_rows);
  v_seq := public.staff_snapshot_seq(p_org_id, p_snapshot_seq);
  select json_build_object('mode', 'snapshot', 'staff', coalesce(p.items, '[]'), 'seq', v_seq, 'hasMore', p.more,
                            'afterId', case when p.more then p.last_key end)
    into v_page
    from public.staff_page_rows(
      'select t.id as ord, t.bytes from public.staff_snapshot_rows t
        where t.org_id = $1 and ($2 is null or t.id > $2::uuid) order by t.id limit $3',
      'staff_snapshot_rows', 'id', p_org_id, p_after_id::text, null, null, p_max_bytes, p_max_rows) p;
  return v_page;
end
$$;

-- As in 20251125000600: one delta page of the changes after p_since_seq; seq is the last change's
-- seq (p_since_seq when empty). A p_since_seq the log cannot answer gets the first snapshot page.
create function public.staff_changes(
  p_org_id text, p_since_seq bigint, p_max_bytes integer default 100000, p_max_rows integer default 1000)
returns json
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_page json;
begin
  perform public.staff_check_page_limits(p_max_bytes, p_max_rows);
  if not public.staff_delta_answers(p_org_id, p_since_seq) then
    return public.staff_snapshot(p_org_id, null, null, p_max_bytes, p_max_rows);
  end if;
  select json_build_object('mode', 'delta', 'changes', coalesce(p.items, '[]'), 'seq', coalesce(p.last_key::bigint, p_since_seq),
                            'hasMore', p.more)
    into v_page
    from public.staff_page_rows(
      'select t.seq as ord, t.bytes from public.staff_change_rows t
        where t.org_id = $1 and t.seq > $2::bigint order by t.seq limit $3',
      'staff_change_rows', 'seq', p_org_id, p_since_seq::text, null, null, p_max_bytes, p_max_rows) p;
  return v_page;
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
