/**
 * Small, dependency-free helpers for measuring and checking JSON text. Used by the schemas and
 * safe in a browser (the client SDK shares them): no Node built-ins here.
 */

/** Characters as Postgres counts them (`char_length`): code points, not UTF-16 units. */
export function codePointLength(value: string): number {
  let pairs = 0;
  for (let i = 0; i < value.length - 1; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return value.length - pairs;
}

/** UTF-8 byte length of a string, without allocating (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8ByteLength(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Postgres `text` and `jsonb` refuse NUL and unpaired surrogates; catch them before the call. */
export const isStorableText = (value: string): boolean => !UNSTORABLE.test(value);

/** Every key and string value of a JSON value is storable. Iterative: safe on any depth. */
export function isStorableJson(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (!isStorableText(value)) return false;
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (!isStorableText(key)) return false;
        stack.push(item);
      }
    }
  }
  return true;
}

/**
 * Every number in a JSON value is finite. JSON.parse reads a number beyond a double (`1e400`) as
 * Infinity, which JSON.stringify would send on as `null`: refuse it rather than change it. Iterative.
 */
export function hasOnlyFiniteNumbers(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return false;
    } else if (typeof value === 'object' && value !== null) {
      for (const item of Array.isArray(value) ? value : Object.values(value)) stack.push(item);
    }
  }
  return true;
}

/** A plain JSON object: not null, not an array, not a class instance (from any realm). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * The deepest `{`/`[` nesting of a JSON text, scanned without parsing; stops early once
 * `limit` is passed. Lets callers refuse deep input before `JSON.parse` and recursive code see it.
 */
export function jsonNestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** A short, printable excerpt of untrusted text for error messages: never echoes huge input. */
export function excerpt(value: string, max = 64): string {
  const printable = value.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length <= max ? printable : `${printable.slice(0, max)}…`;
}
