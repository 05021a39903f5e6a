-- staff-sync: the wire form (docs/protocol.md §3.4): camelCase, times ISO 8601 in UTC with 'Z',
-- dates YYYY-MM-DD. The only place database rows become wire records.
-- Plain SQL functions with no SECURITY DEFINER or SET clauses, so Postgres inlines them into the
-- sync queries (halves a 10 000-row snapshot's conversion); they read no table, and only the
-- service_role may execute them (0700 grants), from functions that pin their search_path.

create or replace function public.staff_iso_time(p_at timestamptz)
returns text
language sql stable strict
as $$
  select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- A staff row as a wire Staff record.
create or replace function public.staff_to_wire(p_staff public.staff)
returns jsonb
language sql stable
as $$
  select jsonb_build_object(
    'id', p_staff.id,
    'orgId', p_staff.org_id,
    'name', p_staff.name,
    'email', p_staff.email,
    'phone', p_staff.phone,
    'position', p_staff.position,
    'department', p_staff.department,
    'employmentType', p_staff.employment_type,
    'status', p_staff.status,
    'startDate', to_char(p_staff.start_date, 'YYYY-MM-DD'),
    'endDate', to_char(p_staff.end_date, 'YYYY-MM-DD'),
    'displayOrder', p_staff.display_order,
    'metadata', p_staff.metadata,
    'version', p_staff.version,
    'createdAt', public.staff_iso_time(p_staff.created_at),
    'updatedAt', public.staff_iso_time(p_staff.updated_at),
    'updatedBy', p_staff.updated_by)
$$;

-- The wire names of the data fields whose value differs between two versions of a row
-- (every data field when p_old is null, i.e. for a create).
create or replace function public.staff_changed_fields(p_old public.staff, p_new public.staff)
returns text[]
language sql stable
as $$
  select coalesce(array_agg(f.wire order by f.ord), '{}')
  from (values
    (1, 'name', p_old.name is distinct from p_new.name),
    (2, 'email', p_old.email is distinct from p_new.email),
    (3, 'phone', p_old.phone is distinct from p_new.phone),
    (4, 'position', p_old.position is distinct from p_new.position),
    (5, 'department', p_old.department is distinct from p_new.department),
    (6, 'employmentType', p_old.employment_type is distinct from p_new.employment_type),
    (7, 'status', p_old.status is distinct from p_new.status),
    (8, 'startDate', p_old.start_date is distinct from p_new.start_date),
    (9, 'endDate', p_old.end_date is distinct from p_new.end_date),
    (10, 'displayOrder', p_old.display_order is distinct from p_new.display_order),
    (11, 'metadata', p_old.metadata is distinct from p_new.metadata)
  ) as f(ord, wire, changed)
  where p_old is null or f.changed
$$;

-- A change log row as a wire Change.
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
    'at', public.staff_iso_time(p_change.at))
$$;
