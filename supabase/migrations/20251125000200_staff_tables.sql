-- staff-sync: tables. Every rule of the Staff table in docs/protocol.md §5 is backed by a CHECK
-- constraint here; the functions check the same rules first only to answer with the field's path.

-- The text with JavaScript's String.prototype.trim() whitespace removed from both ends.
create or replace function public.staff_trim(p_text text)
returns text
language sql immutable strict
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
  select regexp_replace(
    p_text,
    '^[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+|[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+$',
    '', 'g')
$$;

-- Length of a JSON number as JavaScript writes it (Number.prototype.toString), from Postgres's plain
-- decimal text of it: k significant digits, decimal exponent position e.
create or replace function public.staff_json_number_bytes(p_text text)
returns integer
language plpgsql immutable strict
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
declare
  v_negative integer := case when left(p_text, 1) = '-' then 1 else 0 end;
  v_int_part text := split_part(ltrim(p_text, '-'), '.', 1);
  v_digits text := replace(ltrim(p_text, '-'), '.', '');
  v_k integer := length(rtrim(ltrim(v_digits, '0'), '0'));
  v_e integer := length(v_int_part) - (length(v_digits) - length(ltrim(v_digits, '0')));
begin
  if v_k = 0 then
    return 1;  -- 0 (JSON.stringify(-0) is "0" too)
  end if;
  return v_negative + case
    when v_e >= v_k and v_e <= 21 then v_e                 -- 1200
    when v_e > 0 and v_e <= 21 then v_k + 1                -- 12.5
    when v_e > -6 and v_e <= 0 then 2 - v_e + v_k          -- 0.00125
    else v_k + case when v_k > 1 then 1 else 0 end + 2 + length(abs(v_e - 1)::text)  -- 1.25e-7, 1e+21
  end;
end
$$;

-- UTF-8 bytes of the value serialised as compact JSON, exactly as JSON.stringify sends it: jsonb's
-- own text form adds a space after every ':' and ',', and writes numbers as plain decimals where
-- JavaScript uses an exponent (below 1e-6 or from 1e21). Sums each node's own bytes over every
-- node of the tree ('strict $.**' yields each node once): brackets, separators, quoted keys, scalars.
create or replace function public.staff_json_bytes(p_value jsonb)
returns integer
language sql immutable strict
security definer set search_path = public, pg_temp set lock_timeout = '3s'
as $$
  select least(sum(case jsonb_typeof(n.node)
      when 'object' then 1 + coalesce((select sum(octet_length(to_jsonb(k)::text) + 2) from jsonb_object_keys(n.node) as k), 1)
      when 'array' then 1 + greatest(jsonb_array_length(n.node), 1)
      when 'number' then case
        when abs(n.node::numeric) >= 1e21 or (abs(n.node::numeric) < 0.000001 and n.node::numeric <> 0)
          then public.staff_json_number_bytes(n.node::text)
        else octet_length(n.node::text)
      end
      else octet_length(n.node::text)
    end), 2147483647)::integer
  from jsonb_path_query(p_value, 'strict $.**') as n(node)
$$;

create table public.staff (
  id uuid not null default gen_random_uuid(),
  org_id text not null,
  name text not null,
  email text,
  phone text,
  position text,
  department text,
  employment_type text not null default 'full_time',
  status text not null default 'active',
  start_date date,
  end_date date,
  display_order integer not null default 0,
  metadata jsonb not null default '{}'::jsonb,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  updated_by text not null default 'db',
  constraint staff_pkey primary key (id),
  constraint staff_org_id_check check (org_id ~ '^[A-Za-z0-9_-]{1,64}$'),
  constraint staff_name_check check (char_length(public.staff_trim(name)) between 1 and 200),
  constraint staff_email_check check (char_length(email) <= 254 and email ~ '^[^\s@]+@[^\s@]+\.[^\s@]+$'),
  constraint staff_phone_check check (char_length(phone) <= 40),
  constraint staff_position_check check (char_length(position) <= 100),
  constraint staff_department_check check (char_length(department) <= 100),
  constraint staff_employment_type_check
    check (employment_type in ('full_time', 'part_time', 'contract', 'temporary')),
  constraint staff_status_check check (status in ('active', 'inactive')),
  constraint staff_start_date_check check (start_date between date '0001-01-01' and date '9999-12-31'),
  constraint staff_end_date_check check (end_date between date '0001-01-01' and date '9999-12-31'),
  constraint staff_end_date_after_start_check check (end_date >= start_date),
  constraint staff_metadata_check check (jsonb_typeof(metadata) = 'object'),
  constraint staff_metadata_size_check check (public.staff_json_bytes(metadata) <= 8192),
  constraint staff_version_check check (version >= 1),
  constraint staff_updated_by_check check (char_length(updated_by) between 1 and 255)
);
create index staff_org_id_id_idx on public.staff (org_id, id);
comment on table public.staff is
  'staff-sync records. version, created_at, updated_at and updated_by are owned by triggers; every change is logged in staff_changes.';

-- The change log. ONE writer: the triggers on staff (and staff_prune_log, which deletes old entries).
create table public.staff_changes (
  id bigint generated always as identity,
  org_id text not null,
  seq bigint not null,
  op text not null,
  staff_id uuid not null,
  version integer not null,
  staff jsonb not null,
  changed_fields text[] not null default '{}',
  actor text not null,
  origin text not null,
  request_id text,
  at timestamptz not null default now(),
  constraint staff_changes_pkey primary key (id),
  constraint staff_changes_org_seq_key unique (org_id, seq),
  constraint staff_changes_staff_version_key unique (staff_id, version),
  constraint staff_changes_seq_check check (seq >= 1),
  constraint staff_changes_op_check check (op in ('create', 'update', 'delete')),
  constraint staff_changes_version_check check (version >= 1),
  constraint staff_changes_origin_check check (origin in ('ws', 'db'))
);
create index staff_changes_org_at_idx on public.staff_changes (org_id, at);
comment on table public.staff_changes is
  'Per-org change log: seq is gapless per org, staff is the record after the change in wire form (the last record for a delete).';

-- One row per org: the last seq handed out (locked by the writing transaction, so seq is gapless)
-- and how far the log has been pruned.
create table public.staff_org_counters (
  org_id text not null,
  last_seq bigint not null default 0,
  pruned_through_seq bigint not null default 0,
  constraint staff_org_counters_pkey primary key (org_id),
  constraint staff_org_counters_seq_check check (last_seq >= 0 and pruned_through_seq between 0 and last_seq)
);

-- Idempotency keys (org, user, requestId) with the hash of the request and the reply it got.
create table public.staff_idempotency_keys (
  org_id text not null,
  user_id text not null,
  request_id text not null,
  request_hash text not null,
  reply jsonb,
  created_at timestamptz not null default now(),
  constraint staff_idempotency_keys_pkey primary key (org_id, user_id, request_id)
);
create index staff_idempotency_keys_created_at_idx on public.staff_idempotency_keys (created_at);

-- Every staff id ever created, in any org; deleted_at marks a tombstone. Its primary key is what
-- makes an id impossible to reuse, even by a transaction racing the delete.
create table public.staff_id_registry (
  id uuid not null,
  org_id text not null,
  created_at timestamptz not null default now(),
  deleted_at timestamptz,
  deleted_seq bigint,
  constraint staff_id_registry_pkey primary key (id)
);

alter table public.staff enable row level security;
alter table public.staff_changes enable row level security;
alter table public.staff_org_counters enable row level security;
alter table public.staff_idempotency_keys enable row level security;
alter table public.staff_id_registry enable row level security;

-- No policies: the API roles reach the data only through the SECURITY DEFINER functions.
revoke all on table public.staff, public.staff_changes, public.staff_org_counters,
  public.staff_idempotency_keys, public.staff_id_registry from public, anon, authenticated;
