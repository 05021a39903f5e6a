-- staff-sync: syncs by departments (docs/protocol.md §7.9) read the stored wire forms as the org's
-- syncs do (20251207000600), instead of converting row by row in a loop. Pages, positions and
-- fallbacks are as in 20251207000300; the pages are json now, so the functions are created again.
-- Bitmap scans are off as in staff_stream_pages (20251207000500): the log and the records are read
-- in key order from where a page starts, not wholly and sorted.

drop function public.staff_department_changes(text, text[], jsonb, integer, integer);
drop function public.staff_department_snapshot(text, text[], jsonb, uuid, integer, integer);

-- As in 20251207000300: one snapshot page of the records in p_departments, by id after p_after_id.
-- deptSeqs: where each department stood at the first page (p_positions null), else p_positions repeated.
create function public.staff_department_snapshot(
  p_org_id text, p_departments text[], p_positions jsonb default null, p_after_id uuid default null,
  p_max_bytes integer default 100000, p_max_rows integer default 1000)
returns json
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s' set enable_bitmapscan = off
as $$
declare
  v_positions jsonb;
  v_page json;
begin
  perform public.staff_check_page_limits(p_max_bytes, p_max_rows);
  if p_positions is null then
    select coalesce(jsonb_object_agg(d, coalesce(c.last_seq, 0)), '{}') into v_positions
      from unnest(p_departments) as d
      left join public.staff_department_counters c on c.org_id = p_org_id and c.department = d;
  else
    v_positions := public.staff_department_positions(p_org_id, p_departments, p_positions, 'cursor');
  end if;

  select json_build_object('mode', 'snapshot', 'staff', coalesce(p.items, '[]'), 'seq', public.staff_latest_seq(p_org_id),
                           'deptSeqs', v_positions, 'hasMore', p.more, 'afterId', case when p.more then p.last_key end)
    into v_page
    from public.staff_page_rows(
      'select t.id as ord, t.bytes from public.staff s join public.staff_snapshot_rows t on t.org_id = s.org_id and t.id = s.id
        where s.org_id = $1 and s.department = any($4) and ($2 is null or s.id > $2::uuid) order by s.id limit $3',
      'staff_snapshot_rows', 'id', p_org_id, p_after_id::text, p_departments, null, p_max_bytes, p_max_rows) p;
  return v_page;
end
$$;

-- As in 20251207000300: one delta page, the changes in seq order that took a seq in one of
-- p_departments beyond its position in p_since (absent: 0). deptSeqs: each department's position
-- after the page (its seq in the page's last change that took one, as department seqs follow the
-- org's). A position whose next change was pruned from the log answers the first department
-- snapshot page instead. p_after_seq (from the cursor of the page before): the org seq of that
-- page's last change, after which every change of this page comes (department seqs follow the
-- org's), so a page reads the log from there, not from its start.
create function public.staff_department_changes(
  p_org_id text, p_departments text[], p_since jsonb,
  p_max_bytes integer default 100000, p_max_rows integer default 1000, p_after_seq bigint default null)
returns json
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s' set enable_bitmapscan = off
as $$
declare
  v_since jsonb;
  v_department text;
  v_position bigint;
  v_first_kept bigint;
  v_items json;
  v_last text;
  v_more boolean;
  v_positions jsonb;
begin
  perform public.staff_check_page_limits(p_max_bytes, p_max_rows);
  v_since := public.staff_department_positions(p_org_id, p_departments, p_since, 'payload.sinceDeptSeqs');
  if p_after_seq < 0 or p_after_seq > public.staff_latest_seq(p_org_id) then
    perform public.staff_raise_invalid('cursor', 'is not a cursor of this org');
  end if;

  -- The next change of each department must still be in the log.
  foreach v_department in array p_departments loop
    v_position := (v_since ->> v_department)::bigint;
    if v_position < coalesce((select c.last_seq from public.staff_department_counters c
                               where c.org_id = p_org_id and c.department = v_department), 0) then
      -- The first the log keeps: department seqs follow the org's, so the first in seq order.
      select (l.dept_seqs ->> v_department)::bigint into v_first_kept
        from public.staff_changes l where l.org_id = p_org_id and l.dept_seqs ? v_department
       order by l.seq limit 1;
      if v_first_kept is null or v_first_kept > v_position + 1 then
        return public.staff_department_snapshot(p_org_id, p_departments, null, null, p_max_bytes, p_max_rows);
      end if;
    end if;
  end loop;

  select p.items, p.last_key, p.more into v_items, v_last, v_more
    from public.staff_page_rows(
      'select t.seq as ord, t.bytes from public.staff_changes l join public.staff_change_rows t on t.org_id = l.org_id and t.seq = l.seq
        where l.org_id = $1 and ($2 is null or l.seq > $2::bigint) and l.dept_seqs ?| $4
          and exists (select 1 from jsonb_each_text($5) as s(department, since)
                       where (l.dept_seqs ->> s.department)::bigint > s.since::bigint)
        order by l.seq limit $3',
      'staff_change_rows', 'seq', p_org_id, p_after_seq::text, p_departments, v_since, p_max_bytes, p_max_rows) p;

  select v_since || coalesce(jsonb_object_agg(d.department, d.seq), '{}') into v_positions
    from (select e.key as department, max(e.value::bigint) as seq
            from json_array_elements(coalesce(v_items, '[]')) as c(change), json_each_text(c.change -> 'deptSeqs') as e
           where e.key = any(p_departments)
           group by e.key) d
   where d.seq > (v_since ->> d.department)::bigint;

  return json_build_object('mode', 'delta', 'changes', coalesce(v_items, '[]'), 'seq', coalesce(v_last::bigint, public.staff_latest_seq(p_org_id)),
                           'deptSeqs', v_positions, 'hasMore', v_more);
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
