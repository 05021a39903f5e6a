import { stage } from './support/stage';

describe('HTTP endpoints (docs/protocol.md §10)', () => {
  it('answers GET /health with ok and both checks', async () => {
    const response = await fetch(`${stage.httpUrl}/health`);
    const body = (await response.json()) as Record<string, any>;

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(body).toMatchObject({ status: 'ok', service: 'staff-sync', checks: { dynamodb: { status: 'ok' }, supabase: { status: 'ok' } } });
    expect(typeof body.version).toBe('string');
    expect(typeof body.stage).toBe('string');
    expect(new Date(body.time).toISOString()).toBe(body.time);
    expect(typeof body.checks.dynamodb.latencyMs).toBe('number');
  });

  it('answers GET / with the service description', async () => {
    const response = await fetch(`${stage.httpUrl}/`);
    const body = (await response.json()) as Record<string, any>;

    expect(response.status).toBe(200);
    expect(body).toMatchObject({ name: 'staff-sync', endpoints: { websocket: expect.any(String), health: expect.stringMatching(/\/health$/) } });
    expect(body.messageTypes).toEqual(expect.arrayContaining(['STAFF_CREATE', 'STAFF_UPDATE', 'STAFF_DELETE', 'SYNC_REQUEST', 'PING']));
  });

  it('answers an unknown path with a JSON 404', async () => {
    const response = await fetch(`${stage.httpUrl}/no-such-path`);

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('refuses a webhook call without the secret header', async () => {
    const response = await fetch(`${stage.httpUrl}/webhooks/supabase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'INSERT', record: { org_id: 'x', seq: 1 } }),
    });

    expect(response.status).toBe(401);
  });
});
