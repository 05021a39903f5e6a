/**
 * PostgREST's schema cache, for functions only: every function of the exposed schema with its
 * input parameters (name, type, has a default, variadic), return shape and volatility, read from
 * `pg_proc`. Routines are matched to a request's argument keys as PostgREST's `findProc` does.
 */
import type { DbExecutor } from './executor';
import { PgrstError } from './rpc-errors';
import { bestFuzzyMatch } from './fuzzy';

export interface RoutineParam {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly variadic: boolean;
}

export interface Routine {
  readonly schema: string;
  readonly name: string;
  readonly params: readonly RoutineParam[];
  readonly returnsSet: boolean;
  /** Returns a table row, composite or record (an object per row); otherwise a scalar (void included). */
  readonly returnsComposite: boolean;
  readonly returnsVoid: boolean;
  readonly volatility: 'volatile' | 'stable' | 'immutable';
}

/** Content types a body can have, as far as function matching cares. */
export type PayloadMedia = 'json' | 'urlencoded' | 'text' | 'xml' | 'octet';

const SINGLE_UNNAMED_TYPES: Partial<Record<PayloadMedia, readonly string[]>> = {
  json: ['json', 'jsonb'],
  text: ['text'],
  xml: ['xml'],
  octet: ['bytea'],
};

interface RawRoutine {
  name: string;
  volatility: string;
  returnsSet: boolean;
  retType: string;
  retTypeType: string;
  nDefaults: number;
  argNames: string[];
  argModes: string[];
  argTypes: string[];
}

const routinesSql = (schema: string): string => `
  select coalesce(json_agg(json_build_object(
    'name', p.proname, 'volatility', p.provolatile, 'returnsSet', p.proretset,
    'retType', rt.typname, 'retTypeType', rt.typtype, 'nDefaults', p.pronargdefaults,
    'argNames', coalesce(p.proargnames, '{}'), 'argModes', coalesce(p.proargmodes::text[], '{}'),
    'argTypes', array(select format_type(u.t, null) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality u(t, i) order by u.i)
  ) order by p.proname, p.oid), '[]')::text as routines
  from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
  join pg_type rt on rt.oid = p.prorettype
  where n.nspname = '${schema.replace(/'/g, "''")}' and p.prokind = 'f'`;

const VOLATILITY = { v: 'volatile', s: 'stable', i: 'immutable' } as const;

function toRoutine(schema: string, raw: RawRoutine): Routine {
  const inputs = raw.argTypes
    .map((type, index) => ({ type, name: raw.argNames[index] ?? '', mode: raw.argModes[index] ?? 'i' }))
    .filter((arg) => arg.mode === 'i' || arg.mode === 'b' || arg.mode === 'v');
  const firstOptional = inputs.length - raw.nDefaults;
  return {
    schema,
    name: raw.name,
    params: inputs.map((arg, index) => ({ name: arg.name, type: arg.type, required: index < firstOptional, variadic: arg.mode === 'v' })),
    returnsSet: raw.returnsSet,
    returnsComposite: raw.retTypeType === 'c' || raw.retType === 'record',
    returnsVoid: raw.retType === 'void',
    volatility: VOLATILITY[raw.volatility as keyof typeof VOLATILITY] ?? 'volatile',
  };
}

const sameSet = (a: ReadonlySet<string>, b: readonly string[]): boolean => a.size === b.length && b.every((name) => a.has(name));

/** PostgREST's `matchesParams`: required names all present, the rest only optional names. */
function matchesParams(routine: Routine, keys: ReadonlySet<string>, media: PayloadMedia, isInvPost: boolean): boolean {
  if (routine.params.length === 0) return keys.size === 0 && !(isInvPost && ['octet', 'text', 'xml'].includes(media));
  const required = routine.params.filter((p) => p.required).map((p) => p.name);
  const optional = new Set(routine.params.filter((p) => !p.required).map((p) => p.name));
  const rest = new Set([...keys].filter((key) => !optional.has(key)));
  return sameSet(rest, required);
}

const hasSingleUnnamedParam = (routine: Routine, media: PayloadMedia, isInvPost: boolean): boolean => {
  const [only, ...others] = routine.params;
  return isInvPost && only !== undefined && others.length === 0 && only.name === '' && (SINGLE_UNNAMED_TYPES[media] ?? []).includes(only.type);
};

export interface ProcMatch {
  readonly routine: Routine;
  /** The whole body is the single unnamed argument. */
  readonly rawBody: boolean;
}

export class SchemaCache {
  #routines = new Map<string, Routine[]>();
  #loaded = false;

  constructor(
    private readonly executor: DbExecutor,
    readonly schema = 'public',
  ) {}

  async reload(): Promise<void> {
    const { rows } = await this.executor.query<{ routines: string }>(routinesSql(this.schema));
    const raws = JSON.parse(rows[0]?.routines ?? '[]') as RawRoutine[];
    const routines = new Map<string, Routine[]>();
    for (const raw of raws) routines.set(raw.name, [...(routines.get(raw.name) ?? []), toRoutine(this.schema, raw)]);
    this.#routines = routines;
    this.#loaded = true;
  }

  /** Finds the function; reloads once before refusing, so functions created after start are found. */
  async findProc(name: string, keys: ReadonlySet<string>, media: PayloadMedia, isInvPost: boolean): Promise<ProcMatch> {
    if (!this.#loaded) await this.reload();
    const found = this.#match(name, keys, media, isInvPost);
    if (found instanceof PgrstError && found.body.code === 'PGRST202') {
      await this.reload();
      const again = this.#match(name, keys, media, isInvPost);
      if (again instanceof PgrstError) throw again;
      return again;
    }
    if (found instanceof PgrstError) throw found;
    return found;
  }

  #match(name: string, keys: ReadonlySet<string>, media: PayloadMedia, isInvPost: boolean): ProcMatch | PgrstError {
    const overloads = this.#routines.get(name) ?? [];
    const named = overloads.filter((routine) => matchesParams(routine, keys, media, isInvPost));
    const fallback = overloads.filter((routine) => !named.includes(routine) && hasSingleUnnamedParam(routine, media, isInvPost));
    const [first, ...more] = named.length > 0 ? named : fallback;
    if (first === undefined) return this.#noRpc(name, [...keys].sort(), media, isInvPost, overloads);
    if (more.length > 0) return ambiguousRpc([first, ...more]);
    return { routine: first, rawBody: named.length === 0 };
  }

  #noRpc(name: string, keys: string[], media: PayloadMedia, isInvPost: boolean, overloads: Routine[]): PgrstError {
    const func = `${this.schema}.${name}`;
    const onlySingleParams = isInvPost && ['text', 'xml', 'octet'].includes(media);
    const fmt = (text: string): string => (keys.length === 0 ? ' without parameters' : text);
    const listed = fmt(`(${keys.join(', ')})`);
    const withParams = fmt(` with parameter${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`);
    const searched =
      isInvPost && media === 'text' ? ' with a single unnamed text parameter'
      : isInvPost && media === 'xml' ? ' with a single unnamed xml parameter'
      : isInvPost && media === 'octet' ? ' with a single unnamed bytea parameter'
      : isInvPost && media === 'json' ? `${withParams} or with a single unnamed json/jsonb parameter`
      : withParams;
    return new PgrstError(404, {
      code: 'PGRST202',
      message: `Could not find the function ${func}${onlySingleParams ? '' : listed} in the schema cache`,
      details: `Searched for the function ${func}${searched}, but no matches were found in the schema cache.`,
      hint: onlySingleParams ? null : this.#hint(name, keys, overloads),
    });
  }

  /** PostgREST's `noRpcHint`: a close function name, or the closest parameter list of the same name. */
  #hint(name: string, keys: string[], overloads: Routine[]): string | null {
    const prefix = `Perhaps you meant to call the function ${this.schema}.`;
    if (overloads.length === 0) {
      const best = bestFuzzyMatch(name, [...this.#routines.keys()], 0.75);
      return best === undefined ? null : `${prefix}${best}`;
    }
    const asList = (names: readonly string[]): string => `(${[...names].sort().join(', ')})`;
    const best = bestFuzzyMatch(asList(keys), overloads.map((routine) => asList(routine.params.map((p) => p.name))), 0.33);
    return best === undefined ? null : `${prefix}${name}${best}`;
  }
}

const ambiguousRpc = (routines: readonly Routine[]): PgrstError =>
  new PgrstError(300, {
    code: 'PGRST203',
    message: `Could not choose the best candidate function between: ${routines
      .map((r) => `${r.schema}.${r.name}(${r.params.map((p) => `${p.name} => ${p.type}`).join(', ')})`)
      .join(', ')}`,
    hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
  });
