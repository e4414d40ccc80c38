import { parse } from 'yaml';
import {
  blockBalance,
  forApp,
  hasPath,
  stripActions,
  unbalancedActionLines,
  valuesPaths,
} from './chart-template';

describe('stripActions', () => {
  test('drops whole-line actions and replaces inline ones by unique scalars', () => {
    const template = [
      '{{- range $name, $app := .Values.apps }}',
      '---',
      'metadata:',
      '  name: {{ include "trx.componentName" (list $ $name) }}',
      '  labels:',
      '    {{- include "trx.labels" (list $ $name) | nindent 4 }}',
      'data:',
      '  {{- range $key, $value := $app.config }}',
      '  {{ $key }}: {{ $value | quote }}',
      '  {{- end }}',
      '  image: "{{ $app.image.repository }}:{{ $app.image.tag }}"',
      '{{- end }}',
    ].join('\n');
    expect(parse(stripActions(template))).toEqual({
      metadata: { name: '__T1__', labels: null },
      data: { __T2__: '__T3__', image: '__T4__:__T5__' },
    });
  });

  test('removes comments, also those spanning lines', () => {
    expect(stripActions('{{/*\na comment\n*/}}\nkey: value')).toBe('\nkey: value');
  });
});

test('unbalancedActionLines finds an action split over lines', () => {
  expect(unbalancedActionLines('a: {{ .Values.a\n }}\nb: {{ .Values.b }}')).toEqual([
    'a: {{ .Values.a',
    ' }}',
  ]);
});

test('blockBalance counts openers and ends', () => {
  expect(blockBalance('{{- if .a }}{{ range .b }}{{ end }}{{- end }}{{ define "x" }}')).toEqual({
    opened: 3,
    ended: 2,
  });
});

test('valuesPaths resolves $, index, bound variables and $app', () => {
  const text = [
    '{{ $.Values.a.b }} {{ .Values.c }}',
    '{{- $pg := (index . 0).Values.postgres -}} {{ $pg.host }}',
    '{{- $order := index .Values.apps "order-service" }} {{ $order.port }}',
    '{{ (index .Values.apps "transaction-server").port }}',
    '{{- range $name, $app := .Values.apps }}{{ $app.image.tag }}{{ end }}',
  ].join('\n');
  expect(valuesPaths(text)).toEqual(
    expect.arrayContaining([
      ['a', 'b'],
      ['c'],
      ['postgres', 'host'],
      ['apps', 'order-service', 'port'],
      ['apps', 'transaction-server', 'port'],
      ['apps', '*', 'image', 'tag'],
    ]),
  );
});

test('hasPath requires * paths under every entry', () => {
  const values = { apps: { a: { port: 1 }, b: { port: 2, extra: 1 } } };
  expect(hasPath(values, ['apps', '*', 'port'])).toBe(true);
  expect(hasPath(values, ['apps', '*', 'extra'])).toBe(false);
  expect(hasPath(values, ['apps', 'b', 'extra'])).toBe(true);
});

describe('forApp', () => {
  const template = [
    '{{- range $name, $app := .Values.apps }}',
    'data:',
    '  A: {{ $app.a }}',
    '  {{- if ne $name "coordinator" }}',
    '  BROKER_USER: x',
    '  {{- end }}',
    '  {{- if and (eq $name "order") .Values.jwks }}',
    '  JWKS: {{ .Values.jwks }}',
    '  {{- end }}',
    '  {{- if eq $name "coordinator" }}',
    '  COMPAT: y',
    '  {{- else if eq $name "order" }}',
    '  {{- if .Values.fault }}',
    '  FAULT: z',
    '  {{- end }}',
    '  {{- else }}',
    '  PARTICIPANT: w',
    '  {{- end }}',
    '{{- end }}',
  ].join('\n');
  const keys = (app: string) =>
    Object.keys((parse(stripActions(forApp(template, app))) as { data: object }).data);

  test('keeps the branches an app takes, other conditions as they are', () => {
    expect(keys('coordinator')).toEqual(['A', 'COMPAT']);
    expect(keys('order')).toEqual(['A', 'BROKER_USER', 'JWKS', 'FAULT']);
    expect(keys('account')).toEqual(['A', 'BROKER_USER', 'PARTICIPANT']);
  });

  test('leaves the other actions and the blocks balanced', () => {
    const text = forApp(template, 'order');
    expect(text).toContain('{{- if .Values.fault }}');
    expect(text).toContain('{{- range $name, $app := .Values.apps }}');
    const { opened, ended } = blockBalance(text);
    expect(ended).toBe(opened);
  });
});
