/**
 * `@staff-sync/client` as a user installs it: built (`npm run build`), packed by npm, unpacked
 * into an empty folder outside the repository, then loaded through its exports map by Node
 * (`import` and `require`) and type-checked by TypeScript as an ESM and a CommonJS consumer. Only
 * React (the peer dependency) is put beside it; nothing of the server is reachable from there.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
const run = (command: string, args: string[], cwd: string) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let consumer: string;
let manifest: Record<string, unknown>;
let files: string[];

beforeAll(() => {
  run('npm', ['run', 'build', '--silent'], ROOT);
  consumer = mkdtempSync(join(tmpdir(), 'staff-sync-consumer-'));
  const packed = JSON.parse(run('npm', ['pack', '--workspace', '@staff-sync/client', '--json', '--pack-destination', consumer], ROOT)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  files = packed[0]!.files.map((file) => file.path).sort();
  const target = join(consumer, 'node_modules', '@staff-sync', 'client');
  mkdirSync(target, { recursive: true });
  run('tar', ['-xzf', join(consumer, packed[0]!.filename), '-C', target, '--strip-components=1'], consumer);
  for (const peer of ['react', '@types/react']) {
    mkdirSync(join(consumer, 'node_modules', peer, '..'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', peer), join(consumer, 'node_modules', peer));
  }
  manifest = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'));
}, 120_000);

afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

/** tsc's report on `files` as a strict node16 project with no ambient types: empty when they type-check. */
function typeCheck(files: string[]): string {
  const compilerOptions = { noEmit: true, strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', lib: ['es2022', 'dom'], types: [] };
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
  try {
    run(bin('tsc'), ['-p', 'tsconfig.json'], consumer);
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout) || String(error);
  }
}

const LOAD_CHECK = `
  const names = ['connect', 'StaffSyncClient', 'StaffSyncClientError', 'isStaffSyncClientError', 'indexedDbStorage', 'memoryStorage'];
  const missing = names.filter((name) => !(name in sdk));
  const hooks = ['StaffSyncProvider', 'useStaffSync', 'useStaff'].filter((name) => typeof react[name] !== 'function');
  class NoSocket { constructor() { this.readyState = 0; } send() {} close() {} }
  const client = sdk.connect('ws://example.test/staff-sync', 'token', { WebSocket: NoSocket, storage: sdk.memoryStorage() });
  client.close();
  console.log(JSON.stringify({ missing, hooks, status: client.status, codes: sdk.CLIENT_ERROR_CODES.length }));
`;

describe('the @staff-sync/client package', () => {
  it('ships only its build and README, and depends on nothing at run time', () => {
    expect(files).toContain('dist/index.mjs');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/react.d.mts');
    expect(files.filter((file) => !file.startsWith('dist/'))).toEqual(['README.md', 'package.json']);
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.peerDependencies).toEqual({ react: '>=18' });
  });

  it('has no import of anything but React in its code or its declarations', () => {
    const target = join(consumer, 'node_modules', '@staff-sync', 'client', 'dist');
    for (const file of files.filter((name) => /\.(m?js|d\.m?ts)$/.test(name))) {
      const text = readFileSync(join(target, '..', file), 'utf8');
      // Statements only (a line that starts with import/export, or a require call): comments and messages may name `ws`.
      const specifiers = [...text.matchAll(/^(?:import|export)\b[^'"\n]*?(?:from\s+)?['"]([^'"]+)['"]|\brequire\(['"]([^'"]+)['"]\)/gm)].map((match) => match[1] ?? match[2]);
      expect({ file, foreign: specifiers.filter((name) => name !== 'react' && !/^\.\/index\.m?js$/.test(name!)) }).toEqual({ file, foreign: [] });
    }
  });

  it('loads through its exports map with import and with require', () => {
    writeFileSync(join(consumer, 'esm.mjs'), `import * as sdk from '@staff-sync/client';\nimport * as react from '@staff-sync/client/react';\n${LOAD_CHECK}`);
    writeFileSync(join(consumer, 'cjs.cjs'), `const sdk = require('@staff-sync/client');\nconst react = require('@staff-sync/client/react');\n${LOAD_CHECK}`);
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      expect(JSON.parse(run(process.execPath, [file], consumer))).toEqual({ missing: [], hooks: [], status: 'closed', codes: 6 });
    }
  });

  it('type-checks as an ESM and as a CommonJS consumer under node16 resolution', () => {
    const use = `
      const client = connect('wss://example.test/prod', async ({ forceRefresh }) => (forceRefresh ? 'new' : 'cached'), { storage: indexedDbStorage('org:user') });
      const created: Promise<Change> = client.create({ name: 'Ada', employmentType: 'part_time' });
      const changes: StaffChanges = { position: 'Nurse', metadata: { ward: 3 } };
      const updated: Promise<Change | null> = client.update('id', changes);
      const first: Staff | undefined = client.list()[0];
      // @ts-expect-error employmentType is one of four values
      client.create({ name: 'Bob', employmentType: 'volunteer' });
      void [created, updated, first];
      function Row({ id }: { id: string }) {
        const record: Staff | undefined = useStaff(id);
        const { staff, synced, status }: StaffSyncView = useStaffSync();
        return createElement('span', null, record?.name ?? String(staff.length) + String(synced) + status);
      }
      createElement(StaffSyncProvider, { client }, createElement(Row, { id: 'x' }));
    `;
    const imports = `import { connect, indexedDbStorage, type Change, type Staff, type StaffChanges } from '@staff-sync/client';
      import { StaffSyncProvider, useStaff, useStaffSync, type StaffSyncView } from '@staff-sync/client/react';
      import { createElement } from 'react';`;
    writeFileSync(join(consumer, 'use-esm.mts'), `${imports}\n${use}`);
    writeFileSync(join(consumer, 'use-cjs.cts'), `${imports}\n${use}`);
    expect(typeCheck(['use-esm.mts', 'use-cjs.cts'])).toBe('');

    writeFileSync(join(consumer, 'wrong.mts'), `import { connect } from '@staff-sync/client';\nconnect('ws://x', 'token').update('id', { shoeSize: 44 });\n`);
    expect(typeCheck(['wrong.mts'])).toMatch(/wrong\.mts.*shoeSize/);
  });
});
