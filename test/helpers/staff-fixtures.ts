/** Wire-form staff records for tests: every field present, overrides on top. */
import type { Staff } from '../../shared/protocol/staff';

let counter = 0;
const idFor = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export function staff(overrides: Partial<Staff> & { n?: number } = {}): Staff {
  const { n = ++counter, ...rest } = overrides;
  return {
    id: idFor(n),
    orgId: 'org-1',
    name: `Staff ${n}`,
    email: null,
    phone: null,
    position: null,
    department: null,
    employmentType: 'full_time',
    status: 'active',
    startDate: null,
    endDate: null,
    displayOrder: 0,
    metadata: {},
    version: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    updatedBy: 'user-1',
    ...rest,
  };
}
