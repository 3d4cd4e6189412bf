import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

/** A value exported by a module of probes/ or exporter/ that no other module uses. */
export interface UnusedExport {
  /** The declaring file, relative to the root. */
  readonly file: string;
  readonly name: string;
}

/** The package's public API: every export of these counts as used (the package entry and the library's). */
const PUBLIC_ENTRIES = ['index.ts', path.join('probes', 'index.ts')];
/** Where uses are looked for: the package, its tests and its benchmarks. */
const USER_DIRS = ['probes', 'exporter', 'test', 'bench', 'types'];

/**
 * Functions, classes, variables and enums exported by a non-index module of probes/ or exporter/ and
 * referred to by no other file of the tree (tests and benchmarks included), unless the public
 * entries export them. A folder's index.ts re-exporting a name is not a use. Types are left out:
 * an exported function's parameter and result types are exported with it, used or not.
 * Resolution is the type checker's, so an import through any chain of index files finds the
 * declaration it names.
 */
export function findUnusedExports(root: string): UnusedExport[] {
  const files = [
    ...PUBLIC_ENTRIES.map((file) => path.join(root, file)).filter((file) => existsSync(file)),
    ...USER_DIRS.flatMap((dir) => sourceFiles(path.join(root, dir))),
  ];
  const program = ts.createProgram([...new Set(files)], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const original = (symbol: ts.Symbol): ts.Symbol =>
    symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  /** What an identifier refers to; in `const { a: b } = await import('./m')`, `a` (or a shorthand `b`) is m's export. */
  const referencedSymbol = (node: ts.Identifier): ts.Symbol | undefined => {
    const element = node.parent;
    if (ts.isBindingElement(element) && ts.isObjectBindingPattern(element.parent)) {
      const key = element.propertyName ?? element.name;
      if (key === node || element.propertyName === undefined) {
        const property = checker.getTypeAtLocation(element.parent).getProperty(key.getText());
        return property && original(property);
      }
    }
    const symbol = checker.getSymbolAtLocation(node);
    return symbol && original(symbol);
  };
  const own = program
    .getSourceFiles()
    .filter((sf) => !sf.isDeclarationFile && inside(path.resolve(sf.fileName), root));

  const used = new Set<ts.Symbol>();
  for (const entry of PUBLIC_ENTRIES) {
    const sf = program.getSourceFile(path.join(root, entry));
    const moduleSymbol = sf && checker.getSymbolAtLocation(sf);
    if (moduleSymbol)
      for (const symbol of checker.getExportsOfModule(moduleSymbol)) used.add(original(symbol));
  }
  for (const sf of own) {
    const visit = (node: ts.Node): void => {
      if (ts.isExportDeclaration(node)) return;
      if (ts.isIdentifier(node)) {
        const target = referencedSymbol(node);
        if (target?.declarations?.some((d) => d.getSourceFile() !== sf)) used.add(target);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }

  const unused: UnusedExport[] = [];
  const value =
    ts.SymbolFlags.Function | ts.SymbolFlags.Class | ts.SymbolFlags.Variable | ts.SymbolFlags.Enum;
  for (const sf of own) {
    const file = path.relative(root, path.resolve(sf.fileName));
    if (!/^(probes|exporter)[\\/]/.test(file) || path.basename(file) === 'index.ts') continue;
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    if (!moduleSymbol) continue;
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      if (symbol.flags & ts.SymbolFlags.Alias || !(symbol.flags & value) || used.has(symbol)) continue;
      unused.push({ file, name: symbol.name });
    }
  }
  return unused.sort((a, b) => a.file.localeCompare(b.file) || a.name.localeCompare(b.name));
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function inside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}
