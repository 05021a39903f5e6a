/** A representative BROADCAST frame (one staff update), built by the project's own frame builder. */
import { broadcastFrame, type BroadcastFrame } from '../../shared/protocol/server-frames';

export function sampleBroadcast(seq = 1): BroadcastFrame {
  const at = new Date('2025-01-01T09:00:00.000Z').toISOString();
  return broadcastFrame({
    seq,
    op: 'update',
    staffId: '5b1f7c3e-8a4d-4e2b-9c6f-1d2e3f4a5b6c',
    version: 7,
    changedFields: ['position'],
    actor: 'user-3f0c',
    origin: 'ws',
    at,
    deptSeqs: { Kitchen: seq },
    staff: {
      id: '5b1f7c3e-8a4d-4e2b-9c6f-1d2e3f4a5b6c',
      orgId: 'org-bench',
      name: 'Alex Example',
      email: 'alex@example.com',
      phone: '+44 20 7946 0000',
      position: 'Shift lead',
      department: 'Kitchen',
      employmentType: 'full_time',
      status: 'active',
      startDate: '2024-03-01',
      endDate: null,
      displayOrder: 3,
      metadata: {},
      version: 7,
      createdAt: at,
      updatedAt: at,
      updatedBy: 'user-3f0c',
    },
  });
}
