-- staff-sync: the write functions (docs/protocol.md §6, §8), one transaction each:
-- idempotency key claimed first, row locked, version checked (merged field by field), row written;
-- the triggers log the change. Typed failures are PostgREST PTxyz SQLSTATEs with JSON DETAIL:
--   PT404 NOT_FOUND          no detail
--   PT409 VERSION_CONFLICT   {"current": Staff}
--   PT413 PAYLOAD_TOO_LARGE  [{"path","message"}]
--   PT422 VALIDATION_FAILED  [{"path","message"}]  (paths relative to the frame: payload.staff.name, requestId)

-- Raises a typed failure.
create or replace function public.staff_raise(p_state text, p_message text, p_detail jsonb default null)
returns void
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
begin
  if p_detail is null then
    raise exception using errcode = p_state, message = p_message;
  end if;
  raise exception using errcode = p_state, message = p_message, detail = p_detail::text;
end
$$;

-- Raises PT422 for one field.
create or replace function public.staff_raise_invalid(p_path text, p_message text)
returns void
language sql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
  select public.staff_raise('PT422', 'validation failed',
    jsonb_build_array(jsonb_build_object('path', p_path, 'message', p_message)))
$$;

-- Raises the issues found by staff_validate_fields, if any: PT413 when every issue is a size issue,
-- else PT422.
create or replace function public.staff_raise_issues(p_issues jsonb)
returns void
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_all_too_large boolean;
  v_detail jsonb;
begin
  if p_issues is null or jsonb_array_length(p_issues) = 0 then
    return;
  end if;
  select bool_and(coalesce((i ->> 'tooLarge')::boolean, false)), jsonb_agg(i - 'tooLarge' order by n)
    into v_all_too_large, v_detail
    from jsonb_array_elements(p_issues) with ordinality as e(i, n);
  if v_all_too_large then
    perform public.staff_raise('PT413', 'payload too large', v_detail);
  end if;
  perform public.staff_raise('PT422', 'validation failed', v_detail);
end
$$;

-- Whether a text is a real calendar date written YYYY-MM-DD.
create or replace function public.staff_is_date(p_text text)
returns boolean
language plpgsql immutable strict
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_year integer;
  v_month integer;
  v_day integer;
begin
  if p_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
    return false;
  end if;
  v_year := substr(p_text, 1, 4)::integer;
  v_month := substr(p_text, 6, 2)::integer;
  v_day := substr(p_text, 9, 2)::integer;
  if v_year < 1 or v_month not between 1 and 12 or v_day < 1 then
    return false;
  end if;
  return v_day <= extract(day from make_date(v_year, v_month, 1) + interval '1 month - 1 day');
end
$$;

-- The rule issues of a StaffInput object (create) or a Partial<StaffInput> (update), each
-- {path, message} (+ tooLarge for metadata over 8 KB). Input fields arrive in wire form.
create or replace function public.staff_validate_fields(p_input jsonb, p_prefix text, p_for_create boolean)
returns jsonb
language plpgsql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_issues jsonb := '[]';
  v_key text;
  v_value jsonb;
  v_type text;
  v_text text;
  v_message text;
  v_too_large boolean;
  v_number numeric;
begin
  for v_key, v_value in select e.key, e.value from jsonb_each(p_input) as e loop
    v_type := jsonb_typeof(v_value);
    v_text := case when v_type = 'string' then v_value #>> '{}' end;
    v_message := null;
    v_too_large := false;
    case
      when v_key in ('orgId', 'version', 'createdAt', 'updatedAt', 'updatedBy') then
        v_message := 'is server-owned and cannot be set';
      when v_key = 'id' then
        if not p_for_create then
          v_message := 'cannot be changed';
        elsif v_text is null
           or v_text !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
          v_message := 'must be a UUID';
        end if;
      when v_key = 'name' then
        if v_text is null then
          v_message := 'must be a string';
        elsif char_length(public.staff_trim(v_text)) = 0 then
          v_message := 'must not be empty';
        elsif char_length(public.staff_trim(v_text)) > 200 then
          v_message := 'must be at most 200 characters';
        end if;
      when v_key = 'email' then
        if v_type <> 'null' and (v_text is null or char_length(v_text) > 254
                                 or v_text !~ '^[^\s@]+@[^\s@]+\.[^\s@]+$') then
          v_message := 'must be a valid e-mail address or null';
        end if;
      when v_key = 'phone' then
        if v_type <> 'null' and (v_text is null or char_length(v_text) > 40) then
          v_message := 'must be a string of at most 40 characters or null';
        end if;
      when v_key in ('position', 'department') then
        if v_type <> 'null' and (v_text is null or char_length(v_text) > 100) then
          v_message := 'must be a string of at most 100 characters or null';
        end if;
      when v_key = 'employmentType' then
        if v_text is null or v_text not in ('full_time', 'part_time', 'contract', 'temporary') then
          v_message := 'must be one of full_time, part_time, contract, temporary';
        end if;
      when v_key = 'status' then
        if v_text is null or v_text not in ('active', 'inactive') then
          v_message := 'must be one of active, inactive';
        end if;
      when v_key in ('startDate', 'endDate') then
        if v_type <> 'null' and (v_text is null or not public.staff_is_date(v_text)) then
          v_message := 'must be a date YYYY-MM-DD or null';
        end if;
      when v_key = 'displayOrder' then
        if v_type = 'number' then
          v_number := v_value::numeric;
        end if;
        if v_type <> 'number' or v_number <> trunc(v_number)
           or v_number not between -2147483648 and 2147483647 then
          v_message := 'must be an integer';
        end if;
      when v_key = 'metadata' then
        if v_type <> 'object' then
          v_message := 'must be a JSON object';
        elsif public.staff_json_bytes(v_value) > 8192 then
          v_message := 'must be at most 8192 bytes of JSON';
          v_too_large := true;
        end if;
      else
        v_message := 'is not a staff field';
    end case;
    if v_message is not null then
      v_issues := v_issues || jsonb_build_array(
        jsonb_build_object('path', p_prefix || '.' || v_key, 'message', v_message)
        || case when v_too_large then '{"tooLarge": true}'::jsonb else '{}'::jsonb end);
    end if;
  end loop;

  if p_for_create then
    if not p_input ? 'name' then
      v_issues := v_issues || jsonb_build_array(
        jsonb_build_object('path', p_prefix || '.name', 'message', 'is required'));
    end if;
    if public.staff_is_date(p_input ->> 'startDate') and public.staff_is_date(p_input ->> 'endDate')
       and (p_input ->> 'endDate')::date < (p_input ->> 'startDate')::date then
      v_issues := v_issues || jsonb_build_array(
        jsonb_build_object('path', p_prefix || '.endDate', 'message', 'must be on or after startDate'));
    end if;
  end if;
  return v_issues;
end
$$;

-- Re-raises a constraint violation of a staff write as PT422/PT413 with the field's path.
create or replace function public.staff_raise_constraint(
  p_state text, p_constraint text, p_column text, p_message text, p_prefix text)
returns void
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_field text;
begin
  -- Only the staff row's own rules are the caller's fault; a violation in the bookkeeping
  -- tables (log, counters, keys) is a fault of the database's state, never "id already in use".
  if p_constraint ~ '^staff_(changes|org_counters|idempotency_keys)_'
     or (p_constraint like 'staff\_id\_registry\_%' and p_constraint <> 'staff_id_registry_pkey') then
    raise exception 'staff-sync bookkeeping constraint % violated: %', p_constraint, p_message
      using errcode = 'XX000';
  end if;
  if p_state = '23505' then
    perform public.staff_raise_invalid(p_prefix || '.id', 'id already in use');
  end if;
  if p_constraint = 'staff_metadata_size_check' then
    perform public.staff_raise('PT413', 'payload too large', jsonb_build_array(jsonb_build_object(
      'path', p_prefix || '.metadata', 'message', 'must be at most 8192 bytes of JSON')));
  end if;
  v_field := case
    when p_constraint = 'staff_end_date_after_start_check' then 'endDate'
    when p_constraint like 'staff\_%\_check' then
      substring(p_constraint from '^staff_(.*)_check$')
    else p_column
  end;
  v_field := case v_field
    when 'employment_type' then 'employmentType'
    when 'start_date' then 'startDate'
    when 'end_date' then 'endDate'
    when 'display_order' then 'displayOrder'
    when 'metadata' then 'metadata'
    else v_field
  end;
  perform public.staff_raise_invalid(
    case when v_field is null then p_prefix else p_prefix || '.' || v_field end,
    coalesce(p_message, 'is invalid'));
end
$$;

-- Claims the idempotency key (org, user, requestId) FIRST. Returns null when this call owns the key,
-- the stored reply plus "replayed": true when the same request already committed, and raises PT422
-- (path requestId) when the key was used for a different request. A concurrent claim of the same
-- key waits for the first transaction to end.
create or replace function public.staff_claim_key(
  p_org_id text, p_actor text, p_request_id text, p_request_hash text)
returns jsonb
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_hash text;
  v_reply jsonb;
begin
  if p_org_id is null or p_org_id !~ '^[A-Za-z0-9_-]{1,64}$' then
    raise exception 'p_org_id must be 1-64 characters of [A-Za-z0-9_-]' using errcode = 'invalid_parameter_value';
  end if;
  if p_actor is null or char_length(p_actor) not between 1 and 255 then
    raise exception 'p_actor must be 1-255 characters' using errcode = 'invalid_parameter_value';
  end if;
  if p_request_id is null or p_request_id !~ '^[A-Za-z0-9_-]{1,64}$' then
    perform public.staff_raise_invalid('requestId', 'must be 1-64 characters of [A-Za-z0-9_-]');
  end if;

  insert into public.staff_idempotency_keys (org_id, user_id, request_id, request_hash)
  values (p_org_id, p_actor, p_request_id, p_request_hash)
  on conflict do nothing;
  if found then
    return null;
  end if;

  select k.request_hash, k.reply into v_hash, v_reply
    from public.staff_idempotency_keys k
   where k.org_id = p_org_id and k.user_id = p_actor and k.request_id = p_request_id;
  if v_hash is distinct from p_request_hash then
    perform public.staff_raise_invalid('requestId', 'requestId was already used for a different request');
  end if;
  if v_reply is null then
    raise exception 'request % is still in progress in this transaction', p_request_id
      using errcode = 'serialization_failure';
  end if;
  return v_reply || '{"replayed": true}'::jsonb;
end
$$;

-- Hands who and why to the triggers for the rest of the transaction.
create or replace function public.staff_begin_write(p_actor text, p_request_id text)
returns void
language sql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
  select set_config('staff_sync.actor', p_actor, true),
         set_config('staff_sync.origin', 'ws', true),
         set_config('staff_sync.request_id', p_request_id, true);
$$;

-- Stores the reply with the idempotency key and clears the trigger settings.
create or replace function public.staff_finish_write(
  p_org_id text, p_actor text, p_request_id text, p_reply jsonb)
returns jsonb
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
begin
  update public.staff_idempotency_keys
     set reply = p_reply
   where org_id = p_org_id and user_id = p_actor and request_id = p_request_id;
  perform set_config('staff_sync.actor', '', true),
          set_config('staff_sync.origin', '', true),
          set_config('staff_sync.request_id', '', true);
  return p_reply;
end
$$;

-- The logged change that produced a record's version, in wire form.
create or replace function public.staff_logged_change(p_staff_id uuid, p_version integer)
returns jsonb
language sql stable
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
  select public.staff_change_to_wire(l)
    from public.staff_changes l
   where l.staff_id = p_staff_id and l.version = p_version
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
  v_row public.staff;
  v_state text;
  v_constraint text;
  v_column text;
  v_message text;
begin
  v_prior := public.staff_claim_key(p_org_id, p_actor, p_request_id, md5(jsonb_build_object(
    'type', 'STAFF_CREATE', 'payload', jsonb_build_object('staff', p_staff))::text));
  if v_prior is not null then
    return v_prior;
  end if;

  if p_staff is null or jsonb_typeof(p_staff) <> 'object' then
    perform public.staff_raise_invalid('payload.staff', 'must be an object');
  end if;
  perform public.staff_raise_issues(public.staff_validate_fields(p_staff, 'payload.staff', true));

  perform public.staff_begin_write(p_actor, p_request_id);
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
      perform public.staff_raise_constraint(v_state, v_constraint, v_column, v_message, 'payload.staff');
  end;

  return public.staff_finish_write(p_org_id, p_actor, p_request_id,
    jsonb_build_object('change', public.staff_logged_change(v_row.id, v_row.version)));
end
$$;

-- STAFF_UPDATE: equal fields dropped first (none left: no-op), then applied at the current version,
-- or merged field by field from an older baseVersion using the log's changed_fields.
create or replace function public.staff_update(
  p_org_id text, p_actor text, p_request_id text, p_staff_id uuid, p_base_version integer, p_changes jsonb)
returns jsonb
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_prior jsonb;
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
  v_prior := public.staff_claim_key(p_org_id, p_actor, p_request_id, md5(jsonb_build_object(
    'type', 'STAFF_UPDATE', 'payload', jsonb_build_object(
      'staffId', p_staff_id, 'baseVersion', p_base_version, 'changes', p_changes))::text));
  if v_prior is not null then
    return v_prior;
  end if;

  if p_staff_id is null then
    perform public.staff_raise_invalid('payload.staffId', 'is required');
  end if;
  if p_changes is null or jsonb_typeof(p_changes) <> 'object' then
    perform public.staff_raise_invalid('payload.changes', 'must be an object');
  end if;
  if p_changes = '{}'::jsonb then
    perform public.staff_raise_invalid('payload.changes', 'must name at least one field');
  end if;
  v_changes := p_changes;
  if jsonb_typeof(v_changes -> 'id') = 'string' and lower(v_changes ->> 'id') = p_staff_id::text then
    v_changes := v_changes - 'id';  -- naming the record's own id changes nothing
  end if;
  v_issues := public.staff_validate_fields(v_changes, 'payload.changes', false);
  if p_base_version is null or p_base_version < 1 then
    v_issues := v_issues || jsonb_build_array(jsonb_build_object(
      'path', 'payload.baseVersion', 'message', 'must be an integer >= 1'));
  end if;
  perform public.staff_raise_issues(v_issues);

  select * into v_current from public.staff
   where id = p_staff_id and org_id = p_org_id
     for update;
  if not found then
    perform public.staff_raise('PT404', 'staff not found');
  end if;
  if p_base_version > v_current.version then
    perform public.staff_raise_invalid('payload.baseVersion', 'is ahead of the record');
  end if;

  v_current_wire := public.staff_to_wire(v_current);
  select coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb) into v_changes
    from jsonb_each(v_changes) as e
   where v_current_wire -> e.key is distinct from e.value;
  if v_changes = '{}'::jsonb then
    return public.staff_finish_write(p_org_id, p_actor, p_request_id,
      jsonb_build_object('change', null, 'current', v_current_wire));
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
      perform public.staff_raise_invalid('payload.changes.endDate', 'must be on or after startDate');
    end if;
    perform public.staff_raise_invalid('payload.changes.startDate', 'must be on or before endDate');
  end if;

  perform public.staff_begin_write(p_actor, p_request_id);
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
      perform public.staff_raise_constraint(v_state, v_constraint, v_column, v_message, 'payload.changes');
  end;

  return public.staff_finish_write(p_org_id, p_actor, p_request_id,
    jsonb_build_object('change', public.staff_logged_change(p_staff_id, v_row.version))
    || case when v_merged then '{"merged": true}'::jsonb else '{}'::jsonb end);
end
$$;

-- STAFF_DELETE: only at the current version; the delete is logged with version last + 1 and the id
-- becomes a tombstone.
create or replace function public.staff_delete(
  p_org_id text, p_actor text, p_request_id text, p_staff_id uuid, p_base_version integer)
returns jsonb
language plpgsql
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_prior jsonb;
  v_current public.staff;
begin
  v_prior := public.staff_claim_key(p_org_id, p_actor, p_request_id, md5(jsonb_build_object(
    'type', 'STAFF_DELETE', 'payload', jsonb_build_object(
      'staffId', p_staff_id, 'baseVersion', p_base_version))::text));
  if v_prior is not null then
    return v_prior;
  end if;

  if p_staff_id is null then
    perform public.staff_raise_invalid('payload.staffId', 'is required');
  end if;
  if p_base_version is null or p_base_version < 1 then
    perform public.staff_raise_invalid('payload.baseVersion', 'must be an integer >= 1');
  end if;

  select * into v_current from public.staff
   where id = p_staff_id and org_id = p_org_id
     for update;
  if not found then
    perform public.staff_raise('PT404', 'staff not found');
  end if;
  if p_base_version > v_current.version then
    perform public.staff_raise_invalid('payload.baseVersion', 'is ahead of the record');
  end if;
  if p_base_version < v_current.version then
    perform public.staff_raise('PT409', 'version conflict',
      jsonb_build_object('current', public.staff_to_wire(v_current)));
  end if;

  perform public.staff_begin_write(p_actor, p_request_id);
  delete from public.staff where id = p_staff_id;

  return public.staff_finish_write(p_org_id, p_actor, p_request_id,
    jsonb_build_object('change', public.staff_logged_change(p_staff_id, v_current.version + 1)));
end
$$;
