/** The departments a client follows, as `subscribe()` and the `departments` option take them (docs/protocol.md §7.9). */
import { DEPARTMENT_MAX_CHARS, MAX_SUBSCRIBED_DEPARTMENTS } from '../../shared/protocol/departments';

/**
 * Trimmed, without repeats, sorted; `null` (the whole org) for none. Throws a `RangeError` naming
 * what the server would refuse, so a wrong subscription fails where it is made.
 */
export function normalizeDepartments(departments: readonly string[] | null | undefined): string[] | null {
  if (departments === null || departments === undefined) return null;
  if (!Array.isArray(departments)) throw new TypeError('departments must be an array of department names, or null for the whole org');
  const names = [...new Set(departments.map((department) => (typeof department === 'string' ? department.trim() : department)))];
  for (const name of names) {
    if (typeof name !== 'string' || name.length === 0 || [...name].length > DEPARTMENT_MAX_CHARS) {
      throw new RangeError(`a department must be a name of 1–${DEPARTMENT_MAX_CHARS} characters, got ${JSON.stringify(name)}`);
    }
  }
  if (names.length > MAX_SUBSCRIBED_DEPARTMENTS) throw new RangeError(`at most ${MAX_SUBSCRIBED_DEPARTMENTS} departments, got ${names.length}`);
  return names.length === 0 ? null : names.sort();
}

export const sameDepartments = (a: readonly string[] | null, b: readonly string[] | null): boolean =>
  JSON.stringify(a && [...a].sort()) === JSON.stringify(b && [...b].sort());
