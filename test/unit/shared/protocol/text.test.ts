import {
  codePointLength,
  excerpt,
  isPlainObject,
  isStorableJson,
  isStorableText,
  jsonNestingExceeds,
  utf8ByteLength,
} from '../../../../shared/protocol/text';

describe('text helpers', () => {
  it.each(['', 'abc', 'é', '€', '😀', 'a😀b', '\ud800', 'x\udc00y', '𝒳𝒴'])('measures UTF-8 bytes of %p as Node does', (value) => {
    expect(utf8ByteLength(value)).toBe(Buffer.byteLength(value, 'utf8'));
  });

  it('counts code points', () => {
    expect(codePointLength('a😀b')).toBe(3);
    expect(codePointLength('\ud800x')).toBe(2);
  });

  it('finds text Postgres refuses', () => {
    expect(isStorableText('ok 😀')).toBe(true);
    expect(isStorableText('a\u0000')).toBe(false);
    expect(isStorableText('\udc00')).toBe(false);
    expect(isStorableJson({ a: [{ b: 'x' }] })).toBe(true);
    expect(isStorableJson({ a: [{ 'b\u0000': 1 }] })).toBe(false);
  });

  it('walks deep values without recursion', () => {
    let deep: unknown = 'end\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(isStorableJson(deep)).toBe(false);
  });

  it('measures nesting outside strings only', () => {
    expect(jsonNestingExceeds('[[[]]]', 3)).toBe(false);
    expect(jsonNestingExceeds('[[[[]]]]', 3)).toBe(true);
    expect(jsonNestingExceeds('["[[[[\\"[[["]', 2)).toBe(false);
  });

  it('recognises plain objects only', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    expect([null, [], new Date(), 'x', 1].some(isPlainObject)).toBe(false);
  });

  it('shortens and sanitises excerpts', () => {
    expect(excerpt('a\nb')).toBe('a?b');
    expect(excerpt('x'.repeat(100), 10)).toBe(`${'x'.repeat(10)}…`);
  });
});
