/**
 * The repository's Markdown stands on its own: every relative link `[text](path)` or
 * `[text](path#anchor)` of a tracked Markdown file resolves to a file or folder that exists, an
 * anchor into a Markdown file names one of its headings (GitHub's slugs), and no tracked file
 * cites the protocol notes that used to live outside the repository (docs/ replaced them).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
/** The notes docs/ replaced, spelled so that this file does not cite them itself. */
const RETIRED_NOTES = ['PROTOCOL', 'DESIGN', 'REFERENCE-APIGW', 'REFERENCE-SUPABASE'].map((name) => `${name}.md`);
const SKIPPED_FOLDERS = new Set(['node_modules', '.git', 'dist', 'cdk.out', '.local', 'coverage', 'test-artifacts']);

/** What the checker reads; the real tree, or an in-memory sample. Paths are relative to the root, with `/`. */
export interface Tree {
  isFile(path: string): boolean;
  isFolder(path: string): boolean;
  read(path: string): string;
}

/** GitHub's heading slug (github-slugger): lower case, punctuation and symbols dropped, spaces → `-`. */
export function githubSlug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

/** The text a heading renders: code spans kept verbatim, links and images reduced to their text, emphasis and HTML dropped. */
function renderedText(markdown: string): string {
  return markdown
    .split(/(`+[^`]*?`+)/)
    .map((part, index) => {
      if (index % 2 === 1) return part.replace(/^`+|`+$/g, '');
      return part
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
        .replace(/<[^>]+>/g, '')
        .replace(/[*~]/g, '')
        .replace(/(^|[^\p{L}\p{N}])_+([^_]+?)_+(?=[^\p{L}\p{N}]|$)/gu, '$1$2');
    })
    .join('');
}

/** The lines of a Markdown file outside fenced code blocks, with code spans blanked out; `null` for fenced lines. */
function proseLines(markdown: string): Array<string | null> {
  let fence: string | undefined;
  return markdown.split(/\r?\n/).map((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
      return null;
    }
    if (marker) {
      fence = marker;
      return null;
    }
    return line.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (span) => ' '.repeat(span.length));
  });
}

/** Every anchor a Markdown file offers: its headings' slugs (repeats get -1, -2, …) and explicit HTML ids. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const add = (text: string) => {
    const slug = githubSlug(renderedText(text));
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  };
  const raw = markdown.split(/\r?\n/);
  proseLines(markdown).forEach((line, index) => {
    if (line === null) return;
    const atx = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(raw[index]!);
    if (atx) return add(atx[1] ?? '');
    const next = raw[index + 1];
    if (next !== undefined && /^ {0,3}(=+|-+)[ \t]*$/.test(next) && line.trim() !== '' && !/^ {0,3}([-*+>|]|\d+[.)])/.test(line)) add(raw[index]!);
    for (const match of line.matchAll(/<[a-z][^>]*?\s(?:id|name)=["']([^"']+)["']/gi)) anchors.add(match[1]!);
  });
  return anchors;
}

/** The link targets of a Markdown file (inline links, images, reference definitions), outside code. */
export function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(markdown)) {
    if (line === null) continue;
    for (const match of line.matchAll(/\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) {
      targets.push(match[1]!.replace(/^<|>$/g, ''));
    }
    const definition = /^ {0,3}\[[^\]]+\]:\s*(\S+)/.exec(line);
    if (definition) targets.push(definition[1]!.replace(/^<|>$/g, ''));
  }
  return targets;
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

/** Every relative link of `files` (Markdown paths in `tree`) that does not resolve, as `file: target (why)`. */
export function brokenLinks(files: readonly string[], tree: Tree): string[] {
  const problems: string[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchors = (path: string) => anchorCache.get(path) ?? anchorCache.set(path, anchorsOf(tree.read(path))).get(path)!;
  for (const file of files) {
    for (const target of linkTargets(tree.read(file))) {
      if (target === '' || isExternal(target)) continue;
      const [rawPath = '', ...rest] = target.split('#');
      const anchor = rest.length > 0 ? decodeURIComponent(rest.join('#')) : undefined;
      let path: string;
      try {
        path = rawPath === '' ? file : posix.normalize(posix.join(posix.dirname(file), decodeURIComponent(rawPath.split('?')[0]!)));
      } catch {
        problems.push(`${file}: ${target} (not a valid path)`);
        continue;
      }
      path = path.replace(/\/+$/, '') || '.';
      if (path.startsWith('../')) problems.push(`${file}: ${target} (outside the repository)`);
      else if (!tree.isFile(path) && !tree.isFolder(path)) problems.push(`${file}: ${target} (no such file)`);
      else if (anchor !== undefined && /\.md$/i.test(path) && tree.isFile(path) && !anchors(path).has(anchor)) {
        problems.push(`${file}: ${target} (no heading #${anchor} in ${path})`);
      }
    }
  }
  return problems;
}

/** Tracked files (git), or every file but build output and dependencies when there is no git. */
function trackedFiles(): string[] {
  try {
    const listed = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return listed.split('\0').filter((path) => path !== '' && existsSync(join(ROOT, path)));
  } catch {
    const files: string[] = [];
    const walk = (folder: string): void => {
      for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
        const path = folder ? `${folder}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (!SKIPPED_FOLDERS.has(entry.name)) walk(path);
        } else if (entry.isFile()) files.push(path);
      }
    };
    walk('');
    return files;
  }
}

const repositoryTree: Tree = {
  isFile: (path) => existsSync(join(ROOT, path)) && statSync(join(ROOT, path)).isFile(),
  isFolder: (path) => existsSync(join(ROOT, path)) && statSync(join(ROOT, path)).isDirectory(),
  read: (path) => readFileSync(join(ROOT, path), 'utf8'),
};

const filesCitingRetiredNotes = (files: readonly string[]): string[] =>
  files.flatMap((file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    return RETIRED_NOTES.filter((note) => text.includes(note)).map((note) => `${file} cites ${note}`);
  });

describe('the repository documentation', () => {
  const files = trackedFiles();
  const markdown = files.filter((path) => /\.md$/i.test(path));
  const isClient = (path: string) => path.startsWith('client/');

  it('finds the Markdown files it checks', () => {
    expect(markdown).toEqual(expect.arrayContaining(['README.md', 'docs/protocol.md', 'docs/architecture.md']));
  });

  it('has no relative link to a missing file or heading', () => {
    expect(brokenLinks(markdown, repositoryTree)).toEqual([]);
  });

  it('cites no protocol note from outside the repository (outside client/)', () => {
    expect(filesCitingRetiredNotes(files.filter((path) => !isClient(path)))).toEqual([]);
  });

  it('cites no protocol note from outside the repository in client/ (repoint them at docs/protocol.md §N, see its Contents)', () => {
    expect(filesCitingRetiredNotes(files.filter(isClient))).toEqual([]);
  });
});

describe('the link checker', () => {
  const sample: Record<string, string> = {
    'README.md': [
      '# Title',
      '## What it costs',
      '## What it costs',
      'See [costs](#what-it-costs), [again](#what-it-costs-1), [guide](docs/guide.md#2-sync_request-and-pong) and [the folder](docs/).',
      'Broken: [gone](docs/missing.md), [no heading](docs/guide.md#nowhere), [no local heading](#nowhere-here).',
      'Not checked: [web](https://example.com/x.md), [mail](mailto:a@b.c), `[code](docs/missing-in-code.md)`.',
      '```',
      '[fenced](docs/missing-in-fence.md)',
      '```',
      '[ref]: docs/missing-by-reference.md',
    ].join('\n'),
    'docs/guide.md': '# Guide\n\n## 2. `SYNC_REQUEST` and **PONG**\n\n<a id="explicit"></a>\nBack to [the top](../README.md#title) and [out](../../elsewhere.md).\n',
  };
  const tree: Tree = {
    isFile: (path) => path in sample,
    isFolder: (path) => Object.keys(sample).some((file) => file.startsWith(`${path}/`)),
    read: (path) => sample[path]!,
  };

  it('reports missing files, missing headings and links out of the repository, and nothing else', () => {
    expect(brokenLinks(Object.keys(sample), tree)).toEqual([
      'README.md: docs/missing.md (no such file)',
      'README.md: docs/guide.md#nowhere (no heading #nowhere in docs/guide.md)',
      'README.md: #nowhere-here (no heading #nowhere-here in README.md)',
      'README.md: docs/missing-by-reference.md (no such file)',
      'docs/guide.md: ../../elsewhere.md (outside the repository)',
    ]);
  });

  it('slugs headings as GitHub does', () => {
    expect(githubSlug(renderedText('7.3 SYNC_REQUEST: delta and snapshot'))).toBe('73-sync_request-delta-and-snapshot');
    expect(githubSlug(renderedText('2. Lambda REQUEST authorizer on `$connect`'))).toBe('2-lambda-request-authorizer-on-connect');
    expect(githubSlug(renderedText("3.5 Frames that are not the protocol's"))).toBe('35-frames-that-are-not-the-protocols');
    expect([...anchorsOf(sample['docs/guide.md']!)]).toEqual(['guide', '2-sync_request-and-pong', 'explicit']);
  });
});
