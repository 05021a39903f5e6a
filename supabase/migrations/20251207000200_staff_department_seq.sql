-- staff-sync: a gapless sequence per department beside the org's (docs/protocol.md §7.8), so a
-- connection subscribed to some departments detects every loss in its view exactly.
--
-- A change advances the chain of every department it touches: a create or delete its record's
-- department, an update the old and the new one (a move reads, in the old department, as the record
-- leaving the view). A record without a department (null, or the empty text) is in no chain. The change log keeps, per change,
-- the department seqs it took (dept_seqs: {"ICU": 7, "Ward": 12}); the wire form carries them as
-- `deptSeqs`.
--
-- Gapless for the same reason as the org seq: the department counters are taken after the org's
-- counter row, whose lock every writer of the org holds until commit, so they advance in commit
-- order and two writers never wait on each other's department rows in opposite orders.

create table public.staff_department_counters (
  org_id text not null,
  department text not null,
  last_seq bigint not null,
  constraint staff_department_counters_pkey primary key (org_id, department),
  constraint staff_department_counters_seq_check check (last_seq >= 1)
);
comment on table public.staff_department_counters is
  'Per (org, department): the last department seq handed out; taken under the org counter''s lock.';
alter table public.staff_department_counters enable row level security;
revoke all on table public.staff_department_counters from public, anon, authenticated;

create trigger staff_department_counters_guard before insert or update or delete on public.staff_department_counters
  for each row execute function public.staff_guard_internal_write();
create trigger staff_department_counters_refuse_truncate before truncate on public.staff_department_counters
  for each statement execute function public.staff_refuse_truncate();

alter table public.staff_changes add column dept_seqs jsonb not null default '{}';

-- The departments a change touches, each once, in text order (null and '' are no department).
create or replace function public.staff_change_departments(p_old text, p_new text)
returns text[]
language sql immutable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
  select coalesce(array_agg(d order by d), '{}')
    from (select distinct d from unnest(array[p_old, p_new]) as d where d is not null and d <> '') as departments
$$;

-- As in 20251125000400, and: the seqs of the departments the change touches.
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

  insert into public.staff_changes
    (org_id, seq, op, staff_id, version, staff, changed_fields, actor, origin, request_id, dept_seqs)
  values (
    v_row.org_id, v_seq, v_op, v_row.id, v_version, public.staff_to_wire(v_row), v_fields,
    coalesce(public.staff_setting('actor'), 'db'),
    case when public.staff_setting('origin') = 'ws' then 'ws' else 'db' end,
    public.staff_setting('request_id'),
    v_dept_seqs);

  if tg_op = 'DELETE' then
    update public.staff_id_registry set deleted_at = now(), deleted_seq = v_seq where id = old.id;
  end if;
  return null;
end
$$;

-- As in 20251125000300, and `deptSeqs`.
create or replace function public.staff_change_to_wire(p_change public.staff_changes)
returns jsonb
language sql stable
as $$
  select jsonb_build_object(
    'seq', p_change.seq,
    'op', p_change.op,
    'staffId', p_change.staff_id,
    'version', p_change.version,
    'staff', p_change.staff,
    'changedFields', to_jsonb(p_change.changed_fields),
    'actor', p_change.actor,
    'origin', p_change.origin,
    'at', public.staff_iso_time(p_change.at),
    'deptSeqs', p_change.dept_seqs)
$$;

-- The org's latest seq and every department's, read in one statement so they agree (PONG, SUBSCRIBED).
create or replace function public.staff_latest_seqs(p_org_id text)
returns jsonb
language sql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
  select jsonb_build_object(
    'seq', coalesce((select c.last_seq from public.staff_org_counters c where c.org_id = p_org_id), 0),
    'deptSeqs', coalesce((select jsonb_object_agg(d.department, d.last_seq) from public.staff_department_counters d where d.org_id = p_org_id), '{}'))
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
