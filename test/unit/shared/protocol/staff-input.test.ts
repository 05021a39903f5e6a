import {
  METADATA_MAX_BYTES,
  TOO_LARGE_PARAM,
  isRealDate,
  staffChangesSchema,
  staffInputSchema,
} from '../../../../shared/protocol/staff-input';

type Issue = { path: string; message: string; tooLarge?: boolean };

function issuesOf(schema: typeof staffInputSchema | typeof staffChangesSchema, input: unknown): Issue[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: key, message: 'unknown' }))
      : [
          {
            path: issue.path.join('.'),
            message: issue.message,
            ...(issue.code === 'custom' && issue.params?.[TOO_LARGE_PARAM] ? { tooLarge: true } : {}),
          },
        ],
  );
}

const pathsOf = (issues: Issue[]) => issues.map((issue) => issue.path);

describe('staffInputSchema', () => {
  it('accepts a minimal record and trims the name', () => {
    expect(staffInputSchema.parse({ name: '  Ann Lee  ' })).toEqual({ name: 'Ann Lee' });
  });

  it('accepts every field at its limits', () => {
    const input = {
      id: '0b3a2a9e-8f1c-4d2e-9a7b-1c2d3e4f5a6b',
      name: 'n'.repeat(200),
      email: 'ann.lee+shift@example.org',
      phone: '+'.padEnd(40, '1'),
      position: 'p'.repeat(100),
      department: 'd'.repeat(100),
      employmentType: 'part_time',
      status: 'inactive',
      startDate: '2024-02-29',
      endDate: '2024-02-29',
      displayOrder: -2147483648,
      metadata: { shift: 'night', tags: ['a', 'b'], nested: { ok: true } },
    };
    expect(staffInputSchema.parse(input)).toEqual(input);
  });

  it('accepts null for the nullable fields', () => {
    const input = { name: 'A', email: null, phone: null, position: null, department: null, startDate: null, endDate: null };
    expect(staffInputSchema.parse(input)).toEqual(input);
  });

  it('requires a name', () => {
    expect(issuesOf(staffInputSchema, {})).toEqual([{ path: 'name', message: 'is required' }]);
  });

  it('refuses a name that is blank after trimming', () => {
    expect(issuesOf(staffInputSchema, { name: ' \t\n ' })).toEqual([{ path: 'name', message: 'must not be empty' }]);
  });

  it('counts the name in code points, not UTF-16 units', () => {
    expect(issuesOf(staffInputSchema, { name: '😀'.repeat(200) })).toEqual([]);
    expect(issuesOf(staffInputSchema, { name: '😀'.repeat(201) })).toEqual([
      { path: 'name', message: 'must be at most 200 characters' },
    ]);
  });

  it('refuses a name of the wrong type', () => {
    expect(issuesOf(staffInputSchema, { name: 42 })).toEqual([{ path: 'name', message: 'must be a string' }]);
  });

  it('refuses text Postgres cannot store (NUL, unpaired surrogate)', () => {
    expect(pathsOf(issuesOf(staffInputSchema, { name: 'a\u0000b' }))).toEqual(['name']);
    expect(pathsOf(issuesOf(staffInputSchema, { name: 'A', position: 'x\ud800' }))).toEqual(['position']);
  });

  it.each(['not-an-email', 'a@b', 'two@@example.com', 'sp ace@example.com'])('refuses the e-mail %p', (email) => {
    expect(issuesOf(staffInputSchema, { name: 'A', email })).toEqual([{ path: 'email', message: 'must be a valid e-mail address' }]);
  });

  it('refuses an e-mail longer than 254 characters', () => {
    const email = `${'a'.repeat(250)}@example.com`;
    expect(pathsOf(issuesOf(staffInputSchema, { name: 'A', email }))).toEqual(['email']);
  });

  it.each([
    ['phone', 41],
    ['position', 101],
    ['department', 101],
  ])('refuses %s longer than its limit', (field, length) => {
    expect(issuesOf(staffInputSchema, { name: 'A', [field]: 'x'.repeat(length) })).toEqual([
      { path: field, message: `must be at most ${length - 1} characters` },
    ]);
  });

  it('refuses values outside the enums', () => {
    expect(issuesOf(staffInputSchema, { name: 'A', employmentType: 'intern', status: 'retired' })).toEqual([
      { path: 'employmentType', message: 'must be one of full_time, part_time, contract, temporary' },
      { path: 'status', message: 'must be one of active, inactive' },
    ]);
  });

  it.each(['2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '0000-01-01', '2024-1-01', '24-01-01', '2024-01-01T00:00:00Z', ''])(
    'refuses the date %p',
    (startDate) => {
      expect(issuesOf(staffInputSchema, { name: 'A', startDate })).toEqual([
        { path: 'startDate', message: 'must be a real date in YYYY-MM-DD form' },
      ]);
    },
  );

  it('refuses an endDate before the startDate', () => {
    expect(issuesOf(staffInputSchema, { name: 'A', startDate: '2024-03-02', endDate: '2024-03-01' })).toEqual([
      { path: 'endDate', message: 'must be on or after startDate' },
    ]);
  });

  it('accepts an endDate without a startDate', () => {
    expect(issuesOf(staffInputSchema, { name: 'A', endDate: '2024-03-01', startDate: null })).toEqual([]);
  });

  it.each([
    [1.5, 'must be an integer'],
    [2147483648, 'must be at most 2147483647'],
    [-2147483649, 'must be at least -2147483648'],
    ['3', 'must be an integer'],
  ])('refuses displayOrder %p', (displayOrder, message) => {
    expect(issuesOf(staffInputSchema, { name: 'A', displayOrder })).toEqual([{ path: 'displayOrder', message }]);
  });

  it.each([[null], [[1, 2]], ['{}'], [7]])('refuses metadata that is not a JSON object: %p', (metadata) => {
    expect(issuesOf(staffInputSchema, { name: 'A', metadata })).toEqual([{ path: 'metadata', message: 'must be a JSON object' }]);
  });

  it('accepts metadata of exactly 8192 UTF-8 bytes and marks one byte more as too large', () => {
    const overhead = JSON.stringify({ k: '' }).length;
    const exact = { k: 'x'.repeat(METADATA_MAX_BYTES - overhead) };
    expect(issuesOf(staffInputSchema, { name: 'A', metadata: exact })).toEqual([]);
    const over = { k: 'x'.repeat(METADATA_MAX_BYTES - overhead + 1) };
    expect(issuesOf(staffInputSchema, { name: 'A', metadata: over })).toEqual([
      { path: 'metadata', message: 'must be at most 8192 bytes as JSON', tooLarge: true },
    ]);
  });

  it('measures metadata in UTF-8 bytes, not characters', () => {
    const metadata = { k: 'é'.repeat(4100) }; // 4100 characters, 8200 bytes
    expect(issuesOf(staffInputSchema, { name: 'A', metadata })[0]?.tooLarge).toBe(true);
  });

  it('keeps metadata as sent, including a __proto__ key', () => {
    const metadata = JSON.parse('{"__proto__": {"x": 1}, "a": 2}') as Record<string, unknown>;
    const parsed = staffInputSchema.parse({ name: 'A', metadata });
    expect(Object.keys(parsed.metadata ?? {})).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(parsed.metadata)).toBe(Object.prototype);
  });

  it('refuses NUL inside metadata keys or values', () => {
    expect(pathsOf(issuesOf(staffInputSchema, { name: 'A', metadata: { 'a\u0000': 1 } }))).toEqual(['metadata']);
    expect(pathsOf(issuesOf(staffInputSchema, { name: 'A', metadata: { a: ['x\u0000'] } }))).toEqual(['metadata']);
  });

  it('refuses an id that is not a UUID and accepts any UUID version', () => {
    expect(issuesOf(staffInputSchema, { name: 'A', id: 'staff-1' })).toEqual([{ path: 'id', message: 'must be a UUID' }]);
    expect(issuesOf(staffInputSchema, { name: 'A', id: '00000000-0000-0000-0000-000000000000' })).toEqual([]);
    expect(issuesOf(staffInputSchema, { name: 'A', id: '0190A5C3-7B1E-7C2D-8E3F-4A5B6C7D8E9F' })).toEqual([]);
  });

  it.each(['orgId', 'version', 'createdAt', 'updatedAt', 'updatedBy', 'nickname'])('refuses the field %s', (field) => {
    expect(issuesOf(staffInputSchema, { name: 'A', [field]: 'x' })).toEqual([{ path: field, message: 'unknown' }]);
  });
});

describe('staffChangesSchema', () => {
  it('accepts a single changed field', () => {
    expect(staffChangesSchema.parse({ email: null })).toEqual({ email: null });
  });

  it('refuses an empty change set', () => {
    expect(issuesOf(staffChangesSchema, {})).toEqual([{ path: '', message: 'must change at least one field' }]);
  });

  it('refuses an id in the changes', () => {
    expect(pathsOf(issuesOf(staffChangesSchema, { id: '0b3a2a9e-8f1c-4d2e-9a7b-1c2d3e4f5a6b', name: 'B' }))).toEqual(['id']);
  });

  it('refuses a null name', () => {
    expect(issuesOf(staffChangesSchema, { name: null })).toEqual([{ path: 'name', message: 'must be a string' }]);
  });

  it('checks the date order only when both dates are in the changes', () => {
    expect(issuesOf(staffChangesSchema, { endDate: '2000-01-01' })).toEqual([]);
    expect(issuesOf(staffChangesSchema, { startDate: '2024-01-02', endDate: '2024-01-01' })).toEqual([
      { path: 'endDate', message: 'must be on or after startDate' },
    ]);
  });

  it('applies the same field rules as create', () => {
    expect(pathsOf(issuesOf(staffChangesSchema, { phone: 'x'.repeat(41), status: 'gone', metadata: [] }))).toEqual([
      'phone',
      'status',
      'metadata',
    ]);
  });
});

describe('isRealDate', () => {
  it.each([
    ['2024-02-29', true],
    ['2000-02-29', true],
    ['1900-02-29', false],
    ['2100-02-28', true],
    ['0001-01-01', true],
    ['9999-12-31', true],
    ['2024-06-31', false],
  ])('%s → %p', (value, expected) => {
    expect(isRealDate(value)).toBe(expected);
  });
});
