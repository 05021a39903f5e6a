import { buildDemoPage, buildSdkBundle, sizeOf } from '../../../client/build';

describe('browser builds', () => {
  it('bundles the SDK for browsers small, without zod or Node built-ins', () => {
    const sdk = buildSdkBundle();

    expect(sizeOf(sdk).minifiedBytes).toBeLessThan(34 * 1024);
    expect(sdk).not.toMatch(/zod|require\(|node:/);
    expect(sdk).toMatch(/export\s*\{/);
  });

  it('inlines the demo script and style into one page', () => {
    const page = buildDemoPage();

    expect(page).toContain('data-staff-sync-demo');
    expect(page).not.toContain('/*SCRIPT*/');
    expect(page).not.toContain('/*STYLE*/');
    expect(page.match(/<\/script/gi)).toHaveLength(1);
  });
});
