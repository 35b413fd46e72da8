/**
 * A person's scenario file, dropped on the page, as the worker runs it: its
 * types stripped by TypeScript's own transpileModule (loaded only when a file
 * comes, so the page's first load does not carry it), its `import ... from
 * 'ntshm'` (and 'ntshm/wdm', 'ntshm/win32', 'ntshm/samples') pointed at small
 * blob modules that re-export the page's own bundle of the core, and then
 * imported as a blob module itself. Its default export must be a scenario.
 */
import * as ntshm from 'ntshm';
import * as samples from 'ntshm/samples';
import * as win32 from 'ntshm/win32';
import * as wdm from 'ntshm/wdm';
import { defineScenario, isScenario, type Scenario } from 'ntshm';

/** The modules a scenario file may import, by specifier. */
const modules: Record<string, Record<string, unknown>> = { ntshm, 'ntshm/wdm': wdm, 'ntshm/win32': win32, 'ntshm/samples': samples };

/** Where the page's modules are for the blob (a global, since a blob module cannot import the bundle's chunks by name). */
const GLOBAL = '__ntshmModules';

/** A blob module per specifier that re-exports the page's module by its names. */
let shims: Record<string, string> | undefined;
function shimUrls(): Record<string, string> {
  if (shims) return shims;
  (globalThis as Record<string, unknown>)[GLOBAL] = modules;
  shims = {};
  for (const [specifier, m] of Object.entries(modules)) {
    const names = Object.keys(m).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
    const text = `const m = globalThis.${GLOBAL}[${JSON.stringify(specifier)}];\nexport const { ${names.join(', ')} } = m;\n`;
    shims[specifier] = URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
  }
  return shims;
}

/** A one-line error for a file that is not a scenario (the page shows it as it is). */
export class NotAScenario extends Error {
  override readonly name = 'NotAScenario';
}

/** JavaScript of a TypeScript or JavaScript file, its ntshm imports pointed at the shims. */
async function transpile(fileName: string, source: string): Promise<string> {
  const ts = (await import('typescript')).default;
  const urls = shimUrls();
  // Rewrites the module specifier of every import and export-from that names an ntshm module.
  const rewrite: import('typescript').TransformerFactory<import('typescript').SourceFile> = (context) => (file) => {
    const f = context.factory;
    const target = (spec: import('typescript').Expression | undefined) => (spec && ts.isStringLiteral(spec) ? urls[spec.text] : undefined);
    const visit = (node: import('typescript').Node): import('typescript').Node => {
      if (ts.isImportDeclaration(node) && target(node.moduleSpecifier)) {
        return f.updateImportDeclaration(node, node.modifiers, node.importClause, f.createStringLiteral(target(node.moduleSpecifier)!), node.attributes);
      }
      if (ts.isExportDeclaration(node) && target(node.moduleSpecifier)) {
        return f.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause, f.createStringLiteral(target(node.moduleSpecifier)!), node.attributes);
      }
      return node;
    };
    return ts.visitEachChild(file, visit, context);
  };
  const out = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, allowJs: true, verbatimModuleSyntax: false, isolatedModules: true },
    transformers: { after: [rewrite] },
  });
  const error = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (error) throw new NotAScenario(`${fileName} does not compile: ${ts.flattenDiagnosticMessageText(error.messageText, ' ')}`);
  return out.outputText;
}

/** The scenario a dropped file's default export defines. */
export async function loadScenarioFile(fileName: string, source: string): Promise<Scenario> {
  if (!/\.(m?[jt]s|[jt]sx?)$/i.test(fileName)) throw new NotAScenario(`${fileName} is not a scenario: drop a .ts or .js file whose default export is defineScenario({ ... })`);
  const code = await transpile(fileName, source);
  const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
  let module: { default?: unknown };
  try {
    module = (await import(/* @vite-ignore */ url)) as { default?: unknown };
  } catch (e) {
    throw new NotAScenario(`${fileName} failed to load: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    URL.revokeObjectURL(url);
  }
  if (!isScenario(module.default)) {
    throw new NotAScenario(`${fileName} is not a scenario: its default export must be defineScenario({ name, summary, setup })`);
  }
  return defineScenario(module.default);
}
