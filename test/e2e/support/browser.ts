/**
 * Headless Chromium for the demo page suites: Debian's `chromium`, driven by playwright-core,
 * never a downloaded browser. Without Chromium a suite says so and skips, unless CI=true, where
 * it must run. The demo exists on the local stage only.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { stage } from './stage';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path): path is string => !!path && existsSync(path));
const CI = process.env.CI === 'true';

/** `describe`, or `describe.skip` with a loud reason when the suite cannot run here. */
export function browserSuite(title: string): jest.Describe {
  const reason = !stage.isLocal ? 'it needs the local stage (/demo and /local/token are never deployed)' : !CHROMIUM && !CI ? 'Chromium is not installed (apt-get install --no-install-recommends chromium)' : undefined;
  if (reason) console.warn(`SKIPPED: the browser suite "${title}" did not run: ${reason}. With CI=true it must run.`);
  return reason ? describe.skip : describe;
}

export async function launchBrowser(): Promise<Browser> {
  const html = await fetch(`${stage.httpUrl}/demo`).then((response) => response.text());
  if (!html.includes('data-staff-sync-demo')) throw new Error('GET /demo does not serve the built demo page: pass demoPage from infra/local/demo.ts to localRoutes()');
  if (!CHROMIUM) throw new Error('CI=true but Chromium is missing: .ci/run installs it (apt-get install chromium)');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** A page in a window of its own (a background tab of one window is throttled and slow to drive); page errors fail the test. */
export async function newPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => {
    throw error;
  });
  return page;
}
