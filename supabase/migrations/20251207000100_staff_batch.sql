-- staff-sync: STAFF_BATCH (docs/protocol.md §6.1): up to 500 creates, updates and deletes in one
-- transaction under one idempotency key. The single-record writes' rules now live in
-- staff_apply_create/update/delete, which take the path their errors name (payload for a single
-- write, payload.operations.N for the N-th operation of a batch); staff_create/update/delete are
-- the same claim → apply → finish around them, with unchanged signatures and results.
-- The first operation that fails raises its typed error and the whole batch is rolled back.

create or replace function public.staff_apply_create(p_org_id text, p_staff jsonb, p_path text)
returns jsonb
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_row public.staff;
  v_state text;
  v_constraint text;
  v_column text;
  v_message text;
begin
  if p_staff is null or jsonb_typeof(p_staff) <> 'object' then
    perform public.staff_raise_invalid(p_path || '.staff', 'must be an object');
  end if;
  perform public.staff_raise_issues(public.staff_validate_fields(p_staff, p_path || '.staff', true));

  begin
    insert into public.staff (
      id, org_id, name, email, phone, position, department, employment_type, status,
      start_date, end_date, display_order, metadata)
    values (
      coalesce((p_staff ->> 'id')::uuid, gen_random_uuid()),
      p_org_id,
      p_staff ->> 'name',
      p_staff ->> 'email',
      p_staff ->> 'phone',
      p_staff ->> 'position',
      p_staff ->> 'department',
      coalesce(p_staff ->> 'employmentType', 'full_time'),
      coalesce(p_staff ->> 'status', 'active'),
      (p_staff ->> 'startDate')::date,
      (p_staff ->> 'endDate')::date,
      coalesce((p_staff -> 'displayOrder')::numeric::integer, 0),
      coalesce(p_staff -> 'metadata', '{}'::jsonb))
    returning * into v_row;
  exception
    when unique_violation or check_violation or not_null_violation or invalid_text_representation
      or invalid_datetime_format or datetime_field_overflow or numeric_value_out_of_range then
      get stacked diagnostics v_state = returned_sqlstate, v_constraint = constraint_name,
                              v_column = column_name, v_message = message_text;
      perform public.staff_raise_constraint(v_state, v_constraint, v_column, v_message, p_path || '.staff');
  end;

  return jsonb_build_object('change', public.staff_logged_change(v_row.id, v_row.version));
end
$$;

create or replace function public.staff_apply_update(
  p_org_id text, p_staff_id uuid, p_base_version integer, p_changes jsonb, p_path text)
returns jsonb
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_changes jsonb;
  v_issues jsonb;
  v_current public.staff;
  v_current_wire jsonb;
  v_row public.staff;
  v_fields text[];
  v_later text[] := '{}';
  v_logged bigint;
  v_merged boolean := false;
  v_start date;
  v_end date;
  v_state text;
  v_constraint text;
  v_column text;
  v_message text;
begin
  if p_staff_id is null then
    perform public.staff_raise_invalid(p_path || '.staffId', 'is required');
  end if;
  if p_changes is null or jsonb_typeof(p_changes) <> 'object' then
    perform public.staff_raise_invalid(p_path || '.changes', 'must be an object');
  end if;
  if p_changes = '{}'::jsonb then
    perform public.staff_raise_invalid(p_path || '.changes', 'must name at least one field');
  end if;
  v_changes := p_changes;
  if jsonb_typeof(v_changes -> 'id') = 'string' and lower(v_changes ->> 'id') = p_staff_id::text then
    v_changes := v_changes - 'id';  -- naming the record's own id changes nothing
  end if;
  v_issues := public.staff_validate_fields(v_changes, p_path || '.changes', false);
  if p_base_version is null or p_base_version < 1 then
    v_issues := v_issues || jsonb_build_array(jsonb_build_object(
      'path', p_path || '.baseVersion', 'message', 'must be an integer >= 1'));
  end if;
  perform public.staff_raise_issues(v_issues);

  select * into v_current from public.staff
   where id = p_staff_id and org_id = p_org_id
     for update;
  if not found then
    perform public.staff_raise('PT404', 'staff not found');
  end if;
  if p_base_version > v_current.version then
    perform public.staff_raise_invalid(p_path || '.baseVersion', 'is ahead of the record');
  end if;

  v_current_wire := public.staff_to_wire(v_current);
  select coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb) into v_changes
    from jsonb_each(v_changes) as e
   where v_current_wire -> e.key is distinct from e.value;
  if v_changes = '{}'::jsonb then
    return jsonb_build_object('change', null, 'current', v_current_wire);
  end if;
  select array_agg(k order by k) into v_fields from jsonb_object_keys(v_changes) as k;

  if p_base_version < v_current.version then
    -- Every version after baseVersion must still be in the log, or the merge cannot be judged.
    select count(*) into v_logged from public.staff_changes
     where staff_id = p_staff_id and version > p_base_version and version <= v_current.version;
    if v_logged < v_current.version - p_base_version then
      perform public.staff_raise('PT409', 'version conflict', jsonb_build_object('current', v_current_wire));
    end if;
    select coalesce(array_agg(distinct f), '{}') into v_later
      from public.staff_changes l, unnest(l.changed_fields) as f
     where l.staff_id = p_staff_id and l.version > p_base_version;
    if v_fields && v_later then
      perform public.staff_raise('PT409', 'version conflict', jsonb_build_object('current', v_current_wire));
    end if;
    v_merged := true;
  end if;

  -- Cross-field rule on the merged record.
  v_start := case when v_changes ? 'startDate' then (v_changes ->> 'startDate')::date else v_current.start_date end;
  v_end := case when v_changes ? 'endDate' then (v_changes ->> 'endDate')::date else v_current.end_date end;
  if v_end < v_start then
    if (v_changes ? 'endDate' and not v_changes ? 'startDate' and 'startDate' = any(v_later))
       or (v_changes ? 'startDate' and not v_changes ? 'endDate' and 'endDate' = any(v_later)) then
      perform public.staff_raise('PT409', 'version conflict', jsonb_build_object('current', v_current_wire));
    end if;
    if v_changes ? 'endDate' then
      perform public.staff_raise_invalid(p_path || '.changes.endDate', 'must be on or after startDate');
    end if;
    perform public.staff_raise_invalid(p_path || '.changes.startDate', 'must be on or before endDate');
  end if;

  begin
    update public.staff s set
      name = case when v_changes ? 'name' then v_changes ->> 'name' else s.name end,
      email = case when v_changes ? 'email' then v_changes ->> 'email' else s.email end,
      phone = case when v_changes ? 'phone' then v_changes ->> 'phone' else s.phone end,
      position = case when v_changes ? 'position' then v_changes ->> 'position' else s.position end,
      department = case when v_changes ? 'department' then v_changes ->> 'department' else s.department end,
      employment_type = case when v_changes ? 'employmentType' then v_changes ->> 'employmentType' else s.employment_type end,
      status = case when v_changes ? 'status' then v_changes ->> 'status' else s.status end,
      start_date = v_start,
      end_date = v_end,
      display_order = case when v_changes ? 'displayOrder'
                           then (v_changes -> 'displayOrder')::numeric::integer else s.display_order end,
      metadata = case when v_changes ? 'metadata' then v_changes -> 'metadata' else s.metadata end
    where s.id = p_staff_id
    returning * into v_row;
  exception
    when check_violation or not_null_violation or invalid_text_representation
      or invalid_datetime_format or datetime_field_overflow or numeric_value_out_of_range then
      get stacked diagnostics v_state = returned_sqlstate, v_constraint = constraint_name,
                              v_column = column_name, v_message = message_text;
      perform public.staff_raise_constraint(v_state, v_constraint, v_column, v_message, p_path || '.changes');
  end;

  return jsonb_build_object('change', public.staff_logged_change(p_staff_id, v_row.version))
    || case when v_merged then '{"merged": true}'::jsonb else '{}'::jsonb end;
end
$$;

create or replace function public.staff_apply_delete(p_org_id text, p_staff_id uuid, p_base_version integer, p_path text)
returns jsonb
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_current public.staff;
begin
  if p_staff_id is null then
    perform public.staff_raise_invalid(p_path || '.staffId', 'is required');
  end if;
  if p_base_version is null or p_base_version < 1 then
    perform public.staff_raise_invalid(p_path || '.baseVersion', 'must be an integer >= 1');
  end if;

  select * into v_current from public.staff
   where id = p_staff_id and org_id = p_org_id
     for update;
  if not found then
    perform public.staff_raise('PT404', 'staff not found');
  end if;
  if p_base_version > v_current.version then
    perform public.staff_raise_invalid(p_path || '.baseVersion', 'is ahead of the record');
  end if;
  if p_base_version < v_current.version then
    perform public.staff_raise('PT409', 'version conflict',
      jsonb_build_object('current', public.staff_to_wire(v_current)));
  end if;

  delete from public.staff where id = p_staff_id;

  return jsonb_build_object('change', public.staff_logged_change(p_staff_id, v_current.version + 1));
end
$$;

-- STAFF_CREATE.
create or replace function public.staff_create(
  p_org_id text, p_actor text, p_request_id text, p_staff jsonb)
returns jsonb
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_prior jsonb;
begin
  v_prior := public.staff_claim_key(p_org_id, p_actor, p_request_id, md5(jsonb_build_object(
    'type', 'STAFF_CREATE', 'payload', jsonb_build_object('staff', p_staff))::text));
  if v_prior is not null then
    return v_prior;
  end if;
  perform public.staff_begin_write(p_actor, p_request_id);
  return public.staff_finish_write(p_org_id, p_actor, p_request_id, public.staff_apply_create(p_org_id, p_staff, 'payload'));
end
$$;

-- STAFF_UPDATE.
create or replace function public.staff_update(
  p_org_id text, p_actor text, p_request_id text, p_staff_id uuid, p_base_version integer, p_changes jsonb)
returns jsonb
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_prior jsonb;
begin
  v_prior := public.staff_claim_key(p_org_id, p_actor, p_request_id, md5(jsonb_build_object(
    'type', 'STAFF_UPDATE', 'payload', jsonb_build_object(
      'staffId', p_staff_id, 'baseVersion', p_base_version, 'changes', p_changes))::text));
  if v_prior is not null then
    return v_prior;
  end if;
  perform public.staff_begin_write(p_actor, p_request_id);
  return public.staff_finish_write(p_org_id, p_actor, p_request_id,
    public.staff_apply_update(p_org_id, p_staff_id, p_base_version, p_changes, 'payload'));
end
$$;

-- STAFF_DELETE.
create or replace function public.staff_delete(
  p_org_id text, p_actor text, p_request_id text, p_staff_id uuid, p_base_version integer)
returns jsonb
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_prior jsonb;
begin
  v_prior := public.staff_claim_key(p_org_id, p_actor, p_request_id, md5(jsonb_build_object(
    'type', 'STAFF_DELETE', 'payload', jsonb_build_object(
      'staffId', p_staff_id, 'baseVersion', p_base_version))::text));
  if v_prior is not null then
    return v_prior;
  end if;
  perform public.staff_begin_write(p_actor, p_request_id);
  return public.staff_finish_write(p_org_id, p_actor, p_request_id,
    public.staff_apply_delete(p_org_id, p_staff_id, p_base_version, 'payload'));
end
$$;

-- A batch operation's uuid field, or PT422 at its path.
create or replace function public.staff_batch_uuid(p_op jsonb, p_key text, p_path text)
returns uuid
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
begin
  if jsonb_typeof(p_op -> p_key) is distinct from 'string' then
    perform public.staff_raise_invalid(p_path || '.' || p_key, 'must be a UUID');
  end if;
  if (p_op ->> p_key) !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    perform public.staff_raise_invalid(p_path || '.' || p_key, 'must be a UUID');
  end if;
  return (p_op ->> p_key)::uuid;
end
$$;

-- A batch operation's baseVersion (an integer from 1 to 2147483647), or PT422 at its path.
create or replace function public.staff_batch_version(p_op jsonb, p_path text)
returns integer
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_version numeric;
begin
  if jsonb_typeof(p_op -> 'baseVersion') is distinct from 'number' then
    perform public.staff_raise_invalid(p_path || '.baseVersion', 'must be an integer from 1 to 2147483647');
  end if;
  v_version := (p_op ->> 'baseVersion')::numeric;
  if v_version <> trunc(v_version) or v_version not between 1 and 2147483647 then
    perform public.staff_raise_invalid(p_path || '.baseVersion', 'must be an integer from 1 to 2147483647');
  end if;
  return v_version::integer;
end
$$;

-- STAFF_BATCH: p_operations is [{op: 'create', staff} | {op: 'update', staffId, baseVersion, changes}
-- | {op: 'delete', staffId, baseVersion}], 1-500 of them, applied in order (a later operation sees
-- the earlier ones). Returns {results: [each operation's reply, as staff_create/update/delete's]}.
create or replace function public.staff_batch(
  p_org_id text, p_actor text, p_request_id text, p_operations jsonb)
returns jsonb
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_prior jsonb;
  v_results jsonb[] := '{}';
  v_op jsonb;
  v_path text;
  v_index integer := 0;
  v_unknown text;
begin
  v_prior := public.staff_claim_key(p_org_id, p_actor, p_request_id, md5(jsonb_build_object(
    'type', 'STAFF_BATCH', 'payload', jsonb_build_object('operations', p_operations))::text));
  if v_prior is not null then
    return v_prior;
  end if;
  if p_operations is null or jsonb_typeof(p_operations) <> 'array' then
    perform public.staff_raise_invalid('payload.operations', 'must be an array');
  end if;
  if jsonb_array_length(p_operations) not between 1 and 500 then
    perform public.staff_raise_invalid('payload.operations', 'must hold 1 to 500 operations');
  end if;

  perform public.staff_begin_write(p_actor, p_request_id);
  for v_op in select e from jsonb_array_elements(p_operations) as e loop
    v_path := 'payload.operations.' || v_index;
    if jsonb_typeof(v_op) is distinct from 'object' then
      perform public.staff_raise_invalid(v_path, 'must be an object');
    end if;
    if (v_op ->> 'op') is null or (v_op ->> 'op') not in ('create', 'update', 'delete') then
      perform public.staff_raise_invalid(v_path || '.op', 'must be one of create, update, delete');
    end if;
    select k into v_unknown from jsonb_object_keys(v_op) as k
     where k <> all (case v_op ->> 'op' when 'create' then array['op', 'staff']
                                        else array['op', 'staffId', 'baseVersion'] || case when v_op ->> 'op' = 'update' then array['changes'] else '{}' end end)
     order by k limit 1;
    if v_unknown is not null then
      perform public.staff_raise_invalid(v_path || '.' || v_unknown, 'is not a known field');
    end if;
    v_results := v_results || case v_op ->> 'op'
      when 'create' then public.staff_apply_create(p_org_id, v_op -> 'staff', v_path)
      when 'update' then public.staff_apply_update(p_org_id, public.staff_batch_uuid(v_op, 'staffId', v_path),
                                                   public.staff_batch_version(v_op, v_path), v_op -> 'changes', v_path)
      when 'delete' then public.staff_apply_delete(p_org_id, public.staff_batch_uuid(v_op, 'staffId', v_path),
                                                   public.staff_batch_version(v_op, v_path), v_path)
    end;
    v_index := v_index + 1;
  end loop;

  return public.staff_finish_write(p_org_id, p_actor, p_request_id, jsonb_build_object('results', to_jsonb(v_results)));
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
