import { authorizeFrame, canWrite, isRole } from '../../../../shared/protocol/roles';

describe('role rules', () => {
  it.each([
    ['admin', true],
    ['manager', true],
    ['viewer', false],
  ] as const)('lets %s write: %p', (role, allowed) => {
    expect(canWrite(role)).toBe(allowed);
  });

  it('recognises exactly the three roles', () => {
    expect(['admin', 'manager', 'viewer'].every(isRole)).toBe(true);
    expect([undefined, null, 'Admin', 'owner', '', 1].some(isRole)).toBe(false);
  });

  it.each(['STAFF_CREATE', 'STAFF_UPDATE', 'STAFF_DELETE'])('refuses a viewer %s with FORBIDDEN', (type) => {
    expect(authorizeFrame('viewer', type)).toMatchObject({ code: 'FORBIDDEN' });
  });

  it.each(['SYNC_REQUEST', 'PING'])('lets a viewer send %s', (type) => {
    expect(authorizeFrame('viewer', type)).toBeNull();
  });

  it('lets a manager and an admin write', () => {
    expect(authorizeFrame('manager', 'STAFF_DELETE')).toBeNull();
    expect(authorizeFrame('admin', 'STAFF_CREATE')).toBeNull();
  });
});
