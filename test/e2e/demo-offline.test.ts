/**
 * The SDK's IndexedDB persistence in a real browser, through the demo page: a reload shows the
 * saved list before the socket opens and catches up with a delta (never a snapshot); a write made
 * while the page cannot reach the stage survives a reload and commits exactly once when the
 * connection is back. "Offline" is Playwright refusing the page's WebSocket connections.
 */
import type { Browser, Page } from 'playwright-core';
import { browserSuite, launchBrowser, newPage } from './support/browser';
import { TestClient, type Frame } from './support/client';
import { createStaff } from './support/staff';
import { newOrgId, stage } from './support/stage';

interface Saved {
  lastSeq: number;
  staff: Array<{ name: string }>;
  pending: Array<{ type: string; requestId: string; payload: { staff?: { name: string } } }>;
}

/** The demo's saved client state, read from IndexedDB inside the page (null before the first save). */
function savedState(page: Page, key: string): Promise<Saved | null> {
  return page.evaluate(
    (key) =>
      new Promise<Saved | null>((resolve, reject) => {
        const open = indexedDB.open('staff-sync', 1);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction('clients', 'readonly').objectStore('clients').get(key);
          request.onerror = () => reject(request.error);
          request.onsuccess = () => {
            open.result.close();
            resolve((request.result as Saved | undefined) ?? null);
          };
        };
      }),
    key,
  );
}

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

browserSuite('demo page offline')('the demo page keeps its state in IndexedDB', () => {
  const orgId = newOrgId();
  let browser: Browser;
  let page: Page;
  let observer: TestClient;
  let key: string;
  const syncRequests: Array<Record<string, unknown>> = [];

  const row = (name: string) => page.locator('#staff tbody tr', { hasText: name });
  const status = () => page.getAttribute('#status', 'data-status');

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await newPage(browser);
    page.on('websocket', (socket) =>
      socket.on('framesent', ({ payload }) => {
        const frame = JSON.parse(String(payload)) as Frame;
        if (frame.type === 'SYNC_REQUEST') syncRequests.push(frame.payload as Record<string, unknown>);
      }),
    );
    observer = await TestClient.connect({ orgId, role: 'manager' });
    await page.goto(`${stage.httpUrl}/demo?org=${orgId}&role=manager&autoconnect=1`);
    await page.waitForSelector('#status[data-status="open"]');
    key = `${orgId}:${await page.evaluate(() => sessionStorage.getItem('staff-sync-demo-user'))}`;
  }, 60_000);
  afterAll(async () => {
    observer?.close();
    await browser?.close();
  });

  it('reloads from the saved list and catches up with a delta', async () => {
    await page.click('#new');
    await page.fill('#staff-form [name="name"]', 'Ada Lovelace');
    await page.click('#save');
    await row('Ada Lovelace').waitFor();
    await waitFor('the save of seq 1', () => savedState(page, key), (saved) => saved?.lastSeq === 1);
    // A change made elsewhere while the page is away, for the delta to carry.
    await createStaff(observer, { name: 'Grace Hopper' });

    syncRequests.length = 0;
    await page.reload();
    await row('Grace Hopper').waitFor();

    expect(syncRequests[0]).toEqual({ sinceSeq: 1, stream: true });
    expect(syncRequests.filter((payload) => payload.sinceSeq === undefined && payload.cursor === undefined)).toEqual([]);
    expect(await row('Ada Lovelace').count()).toBe(1);
    expect(await page.textContent('#seq')).toBe('2');
  }, 30_000);

  it('keeps a write made offline across a reload and commits it once when back online', async () => {
    let online = false;
    await page.routeWebSocket(/\/staff-sync/, (socket) => (online ? socket.connectToServer() : socket.close()));
    // The replica is saved a moment after it changes: reload once it holds seq 2.
    await waitFor('the save of seq 2', () => savedState(page, key), (saved) => saved?.lastSeq === 2);
    await page.reload();
    // Offline: the saved list is shown although no socket opens.
    await row('Grace Hopper').waitFor();
    expect(await status()).not.toBe('open');

    await page.click('#new');
    await page.fill('#staff-form [name="name"]', 'Written offline');
    await page.click('#save');
    const queued = await waitFor('the offline write to be saved', () => savedState(page, key), (saved) => saved?.pending.length === 1);
    expect(queued?.pending[0]).toMatchObject({ type: 'STAFF_CREATE', payload: { staff: { name: 'Written offline' } } });

    await page.reload();
    await row('Grace Hopper').waitFor();
    const kept = await savedState(page, key);
    expect(kept?.pending.map((frame) => frame.requestId)).toEqual([queued!.pending[0]!.requestId]);

    online = true;
    await row('Written offline').waitFor({ timeout: 20_000 });
    await waitFor('the write to leave the saved queue', () => savedState(page, key), (saved) => saved?.pending.length === 0);

    const log = await observer.request({ type: 'SYNC_REQUEST', payload: { sinceSeq: 0 } });
    const changes = log.changes as Array<{ op: string; staff: { name: string } }>;
    expect(changes.filter((change) => change.staff.name === 'Written offline').map((change) => change.op)).toEqual(['create']);
    expect(await row('Written offline').count()).toBe(1);
  }, 60_000);
});
