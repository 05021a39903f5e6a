/**
 * The demo page (`GET /demo` on the local stage) in headless Chromium: Debian's `chromium`,
 * driven by playwright-core, never a downloaded browser. Without Chromium the suite says so and
 * skips, unless CI=true, where it must run.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { newOrgId, stage } from './support/stage';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path): path is string => !!path && existsSync(path));
const CI = process.env.CI === 'true';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

const reason = !stage.isLocal ? 'it needs the local stage (/demo and /local/token are never deployed)' : !CHROMIUM && !CI ? 'Chromium is not installed (apt-get install --no-install-recommends chromium)' : undefined;
if (reason) console.warn(`SKIPPED: the demo page browser suite did not run: ${reason}. With CI=true it must run.`);
const suite = reason ? describe.skip : describe;

suite('demo page in headless Chromium', () => {
  let browser: Browser;
  let a: Page;
  let b: Page;
  const orgId = newOrgId();

  beforeAll(async () => {
    const html = await fetch(`${stage.httpUrl}/demo`).then((response) => response.text());
    if (!html.includes('data-staff-sync-demo')) throw new Error('GET /demo does not serve the built demo page: pass demoPage from infra/local/demo.ts to localRoutes()');
    if (!CHROMIUM) throw new Error('CI=true but Chromium is missing: .ci/run installs it (apt-get install chromium)');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    // One context (a window) per page: a background tab of one window is throttled and slow to drive.
    const page = async () => (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    [a, b] = [await page(), await page()];
    for (const page of [a, b]) {
      page.setDefaultTimeout(10_000);
      page.on('pageerror', (error) => {
        throw error;
      });
      await page.goto(`${stage.httpUrl}/demo`);
      await page.fill('#org', orgId);
      await page.selectOption('#role', 'manager');
      await page.click('#connect');
      await page.waitForSelector('#status[data-status="open"]');
    }
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  const row = (page: Page, name: string) => page.locator('#staff tbody tr', { hasText: name });

  async function edit(page: Page, name: string, fields: Record<string, string>): Promise<void> {
    await row(page, name).getByRole('button', { name: 'Edit' }).click();
    for (const [field, value] of Object.entries(fields)) await page.fill(`#staff-form [name="${field}"]`, value);
  }

  it('shows an edit made in one page in the other', async () => {
    await a.click('#new');
    await a.fill('#staff-form [name="name"]', 'Ada Lovelace');
    await a.fill('#staff-form [name="position"]', 'Nurse');
    await a.click('#save');
    await row(b, 'Ada Lovelace').waitFor();

    await edit(a, 'Ada Lovelace', { position: 'Head nurse' });
    await a.click('#save');

    await row(b, 'Head nurse').waitFor();
    expect(await row(b, 'Ada Lovelace').locator('td').allTextContents()).toEqual(['Ada Lovelace', 'Head nurse', '', '', 'active', '2', 'EditDelete']);
    expect(await b.textContent('#seq')).toBe('2');
  }, 30_000);

  it('shows a conflict when two pages edit the same field', async () => {
    await a.click('#new');
    await a.fill('#staff-form [name="name"]', 'Grace Hopper');
    await a.fill('#staff-form [name="department"]', 'Radiology');
    await a.click('#save');
    await row(b, 'Grace Hopper').waitFor();
    await edit(a, 'Grace Hopper', { position: 'Surgeon' });
    await edit(b, 'Grace Hopper', { position: 'Midwife' });

    await a.click('#save');
    await b.waitForSelector('#editor-note:has-text("Changed by someone else")');
    await b.click('#save');

    const conflict = b.locator('#conflict');
    await conflict.waitFor();
    expect(await conflict.locator('tbody tr td').allTextContents()).toEqual(['Position', 'Midwife', 'Surgeon']);
    mkdirSync(ARTIFACTS, { recursive: true });
    await b.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: true });

    await b.click('#overwrite');
    await row(a, 'Midwife').waitFor();
    expect(await a.isVisible('#conflict')).toBe(false);
  }, 30_000);
});
