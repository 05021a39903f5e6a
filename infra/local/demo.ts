/**
 * The demo page for the local stage's `GET /demo`: built from `client/` with esbuild when first
 * asked for, then served from memory. Local only: no deployed bundle imports this (nor esbuild).
 */
import { buildDemoPage } from '../../client/build';

let cached: string | undefined;

/**
 * The page's HTML (script and style inlined). A failed build answers a readable error page, so
 * the stage keeps serving everything else.
 *
 * @example
 * localRoutes({ jwtSecret, gateway, demoPage });
 */
export function demoPage(): string {
  if (cached !== undefined) return cached;
  try {
    cached = buildDemoPage();
    return cached;
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
    return `<!doctype html><title>staff-sync demo</title><h1>The demo page did not build</h1><pre>${message}</pre>`;
  }
}
