import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

/** An import that crosses the library boundary the wrong way. */
export interface BoundaryViolation {
  /** The importing file, relative to the root. */
  readonly file: string;
  readonly specifier: string;
  readonly rule: 'probes-imports-exporter' | 'exporter-reaches-into-probes';
}

/**
 * The rules of the package's layering (../shared/design.md): `probes/` is a library of its own, so
 * nothing in it imports `exporter/` (or the package entry, which re-exports the exporter); and
 * `exporter/` uses the library as any user would, through `probes/index.ts` only. Relative imports
 * are resolved against the file system; `import type`, re-exports, `require()` and dynamic imports
 * all count.
 */
export function findBoundaryViolations(root: string): BoundaryViolation[] {
  const probes = path.join(root, 'probes');
  const exporter = path.join(root, 'exporter');
  // The package entry (`index.ts`, imported as the root folder).
  const entry = root;
  const violations: BoundaryViolation[] = [];
  for (const dir of [probes, exporter]) {
    for (const file of sourceFiles(dir)) {
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      for (const { fileName: specifier } of importedFiles) {
        if (!specifier.startsWith('.')) continue;
        const target = withoutIndex(path.resolve(path.dirname(file), specifier));
        const relative = path.relative(root, file);
        if (dir === probes && (inside(target, exporter) || target === entry))
          violations.push({ file: relative, specifier, rule: 'probes-imports-exporter' });
        if (dir === exporter && inside(target, probes) && target !== probes)
          violations.push({ file: relative, specifier, rule: 'exporter-reaches-into-probes' });
      }
    }
  }
  return violations;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield full;
  }
}

/** `x/index`, `x/index.js` and `x` (a folder) all name the folder's entry `x`; `y.js` names `y`. */
function withoutIndex(target: string): string {
  const bare = target.replace(/\.(js|ts)$/, '');
  if (path.basename(bare) === 'index') return path.dirname(bare);
  return bare;
}

function inside(target: string, dir: string): boolean {
  return target === dir || target.startsWith(dir + path.sep);
}
