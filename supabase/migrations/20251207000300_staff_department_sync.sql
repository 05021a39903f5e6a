-- staff-sync: SYNC_REQUEST filtered by departments (docs/protocol.md §7.9). A department delta is
-- every change that took a seq in one of the departments beyond where the client stands in it; a
-- department snapshot is the records now in those departments. Both page like the org's and say
-- where each department stands after the page (`deptSeqs`), which is where the next request starts.

-- p_positions as a complete map over p_departments (absent: 0), refusing what no client was given:
-- a negative position, or one ahead of the department's counter.
create or replace function public.staff_department_positions(p_org_id text, p_departments text[], p_positions jsonb, p_path text)
returns jsonb
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_result jsonb := '{}';
  v_department text;
  v_position bigint;
  v_last bigint;
begin
  foreach v_department in array p_departments loop
    v_position := coalesce((p_positions ->> v_department)::bigint, 0);
    v_last := coalesce((select c.last_seq from public.staff_department_counters c
                         where c.org_id = p_org_id and c.department = v_department), 0);
    if v_position < 0 or v_position > v_last then
      perform public.staff_raise_invalid(p_path, 'is ahead of the department''s changes');
    end if;
    v_result := v_result || jsonb_build_object(v_department, v_position);
  end loop;
  return v_result;
end
$$;

-- One snapshot page of the records in p_departments, by id after p_after_id. deptSeqs: where each
-- department stood at the first page (p_positions null), else p_positions repeated.
create or replace function public.staff_department_snapshot(
  p_org_id text, p_departments text[], p_positions jsonb default null, p_after_id uuid default null,
  p_max_bytes integer default 100000, p_max_rows integer default 1000)
returns jsonb
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_positions jsonb;
  v_items jsonb[] := '{}';
  v_bytes bigint := 2;
  v_len bigint;
  v_last uuid;
  v_more boolean := false;
  r record;
begin
  perform public.staff_check_page_limits(p_max_bytes, p_max_rows);
  if p_positions is null then
    select coalesce(jsonb_object_agg(d, coalesce(c.last_seq, 0)), '{}') into v_positions
      from unnest(p_departments) as d
      left join public.staff_department_counters c on c.org_id = p_org_id and c.department = d;
  else
    v_positions := public.staff_department_positions(p_org_id, p_departments, p_positions, 'cursor');
  end if;

  for r in
    select s.id, public.staff_to_wire(s) as wire
      from public.staff s
     where s.org_id = p_org_id and s.department = any(p_departments) and (p_after_id is null or s.id > p_after_id)
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
    'seq', public.staff_latest_seq(p_org_id),
    'deptSeqs', v_positions,
    'hasMore', v_more,
    'afterId', case when v_more then v_last end);
end
$$;

-- One delta page: the changes, in seq order, that took a seq in one of p_departments beyond its
-- position in p_since (absent: 0). deptSeqs: each department's position after the page. A position
-- whose next change was pruned from the log answers the first department snapshot page instead.
create or replace function public.staff_department_changes(
  p_org_id text, p_departments text[], p_since jsonb,
  p_max_bytes integer default 100000, p_max_rows integer default 1000)
returns jsonb
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_since jsonb;
  v_positions jsonb;
  v_items jsonb[] := '{}';
  v_bytes bigint := 2;
  v_len bigint;
  v_seq bigint;
  v_more boolean := false;
  v_department text;
  v_position bigint;
  v_first_kept bigint;
  r record;
begin
  perform public.staff_check_page_limits(p_max_bytes, p_max_rows);
  v_since := public.staff_department_positions(p_org_id, p_departments, p_since, 'payload.sinceDeptSeqs');
  v_positions := v_since;

  -- The next change of each department must still be in the log.
  foreach v_department in array p_departments loop
    v_position := (v_since ->> v_department)::bigint;
    if v_position < coalesce((select c.last_seq from public.staff_department_counters c
                               where c.org_id = p_org_id and c.department = v_department), 0) then
      select min((l.dept_seqs ->> v_department)::bigint) into v_first_kept
        from public.staff_changes l where l.org_id = p_org_id and l.dept_seqs ? v_department;
      if v_first_kept is null or v_first_kept > v_position + 1 then
        return public.staff_department_snapshot(p_org_id, p_departments, null, null, p_max_bytes, p_max_rows);
      end if;
    end if;
  end loop;

  for r in
    select l.seq, l.dept_seqs, public.staff_change_to_wire(l) as wire
      from public.staff_changes l
     where l.org_id = p_org_id
       and l.dept_seqs ?| p_departments
       and exists (select 1 from jsonb_each_text(v_since) as s(department, since)
                    where (l.dept_seqs ->> s.department)::bigint > s.since::bigint)
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
    select v_positions || coalesce(jsonb_object_agg(k, v), '{}') into v_positions
      from jsonb_each(r.dept_seqs) as e(k, v) where k = any(p_departments);
  end loop;

  return jsonb_build_object(
    'mode', 'delta',
    'changes', to_jsonb(v_items),
    'seq', coalesce(v_seq, public.staff_latest_seq(p_org_id)),
    'deptSeqs', v_positions,
    'hasMore', v_more);
end
$$;

-- The block of 20251125000700: every staff_* function callable by service_role only.
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
