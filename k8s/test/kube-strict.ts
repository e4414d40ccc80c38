/**
 * Unknown-field check of rendered objects: the Kubernetes API's schemas (and so
 * kube-validate.ts) accept fields they do not define, which the API server then drops in
 * silence — a misspelt `readinesProbe` would vanish. Here each object becomes an object literal
 * typed with the kubernetes-models interface of its kind, and the TypeScript compiler's
 * excess-property check names every field the API does not have (and any wrong type).
 *
 * @example
 *   unknownFields([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { typo: 1 } }]);
 *   // ["Service/x: Object literal may only specify known properties, and 'typo' does not exist ..."]
 */
import path from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './chart-render';

const HERE = __dirname;

function typeModule(obj: K8sObject): string {
  return obj.apiVersion.startsWith('monitoring.coreos.com/')
    ? `@kubernetes-models/prometheus-operator/${obj.apiVersion}/${obj.kind}`
    : `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
}

/** Type errors of the objects, as "Kind/name: message"; [] when every field is known and well typed. */
export function unknownFields(objects: K8sObject[]): string[] {
  const file = path.join(HERE, '__rendered-objects__.ts');
  const lines: string[] = [];
  const owners: string[] = [];
  objects.forEach((obj, i) => {
    lines.push(`import type { I${obj.kind} as T${i} } from ${JSON.stringify(typeModule(obj))};`);
  });
  const startLine = lines.length;
  objects.forEach((obj, i) => {
    const text = `export const o${i}: T${i} = ${JSON.stringify(obj)};`;
    lines.push(text);
    owners.push(`${obj.kind}/${obj.metadata?.name}`);
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, onError, create) =>
    path.resolve(name) === file
      ? ts.createSourceFile(name, source, version, true)
      : getSourceFile(name, version, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const sourceFile = program.getSourceFile(file) as ts.SourceFile;
  return ts.getPreEmitDiagnostics(program, sourceFile).map((d) => {
    const line = d.start === undefined ? -1 : sourceFile.getLineAndCharacterOfPosition(d.start).line;
    const owner = line >= startLine ? owners[line - startLine] : 'imports';
    return `${owner}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}
