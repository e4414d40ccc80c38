// Command render renders a Helm chart the way `helm template` does, for machines without helm:
// Go's text/template with sprig (Debian's golang-github-masterminds-sprig-dev) plus the
// functions and objects helm adds (include, tpl, required, fail, toYaml, fromYaml, toJson,
// fromJson, lookup, .Values, .Release, .Chart, .Capabilities, .Files, .Template).
//
// It builds offline in GOPATH mode against the Debian packages:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o /tmp/trx-render ./k8s/test/render
//	/tmp/trx-render --chart k8s/trx -f k8s/test/values/ci.yaml --set apps.order-service.replicas=3
//
// Output: every rendered manifest as `---\n# Source: <chart>/templates/<file>\n...` on stdout
// (NOTES.txt is rendered too, printed only with --notes); with --dump-values, the merged
// values as JSON instead. A template error (required, fail, a bad action) goes to stderr
// and the exit status is 1. Not covered: subcharts, --set list indexes, .Files.AsSecrets.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	yaml2 "gopkg.in/yaml.v2"
	yaml3 "gopkg.in/yaml.v3"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	chartDir := flag.String("chart", "k8s/trx", "chart directory")
	releaseName := flag.String("name", "trx", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	kubeVersion := flag.String("kube-version", "v1.30.0", "Capabilities.KubeVersion")
	notes := flag.Bool("notes", false, "print the rendered NOTES.txt instead of the manifests")
	dumpValues := flag.Bool("dump-values", false, "print the merged values as JSON and exit")
	var valueFiles, sets, setStrings, apiVersions multiFlag
	flag.Var(&valueFiles, "f", "values file (repeatable; later files win)")
	flag.Var(&sets, "set", "key.path=value (repeatable; typed like helm: int, bool, null, string)")
	flag.Var(&setStrings, "set-string", "key.path=value, always a string")
	flag.Var(&apiVersions, "api-versions", "extra Capabilities.APIVersions (repeatable)")
	flag.Parse()

	out, err := run(options{*chartDir, *releaseName, *namespace, *kubeVersion, *notes, *dumpValues,
		valueFiles, sets, setStrings, apiVersions})
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	fmt.Print(out)
}

type options struct {
	chartDir, releaseName, namespace, kubeVersion string
	notes, dumpValues                             bool
	valueFiles, sets, setStrings, apiVersions     []string
}

func run(o options) (string, error) {
	chart, err := loadChart(o.chartDir)
	if err != nil {
		return "", err
	}
	values, err := loadValues(o)
	if err != nil {
		return "", err
	}
	if o.dumpValues {
		b, err := json.MarshalIndent(values, "", "  ")
		return string(b) + "\n", err
	}
	files, err := loadFiles(o.chartDir)
	if err != nil {
		return "", err
	}
	top := map[string]interface{}{
		"Values": values,
		"Chart":  chart,
		"Release": map[string]interface{}{
			"Name": o.releaseName, "Namespace": o.namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": capabilities(o.kubeVersion, o.apiVersions),
		"Files":        files,
	}
	return renderTemplates(o.chartDir, chart["Name"].(string), top, o.notes)
}

// loadChart reads Chart.yaml into the capitalised fields helm exposes (.Chart.Name, .Chart.AppVersion, ...).
func loadChart(dir string) (map[string]interface{}, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	var meta map[string]interface{}
	if err := yaml3.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %w", err)
	}
	chart := map[string]interface{}{}
	for k, v := range meta {
		chart[strings.ToUpper(k[:1])+k[1:]] = v
	}
	if _, ok := chart["Name"].(string); !ok {
		return nil, fmt.Errorf("Chart.yaml: no name")
	}
	return chart, nil
}

// loadValues: values.yaml, then each -f file deep-merged over it, then --set and --set-string.
// Numbers become float64 as in helm (its YAML goes through JSON); --set integers stay int64.
func loadValues(o options) (map[string]interface{}, error) {
	values := map[string]interface{}{}
	for _, file := range append([]string{filepath.Join(o.chartDir, "values.yaml")}, o.valueFiles...) {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		m, err := parseYAMLMap(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		values = mergeValues(values, m)
	}
	for _, s := range o.sets {
		if err := setValue(values, s, false); err != nil {
			return nil, err
		}
	}
	for _, s := range o.setStrings {
		if err := setValue(values, s, true); err != nil {
			return nil, err
		}
	}
	return values, nil
}

func parseYAMLMap(raw []byte) (map[string]interface{}, error) {
	var v interface{}
	if err := yaml3.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	if v == nil {
		return map[string]interface{}{}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]interface{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("not a map of values: %w", err)
	}
	return m, nil
}

// mergeValues merges src over dst: maps recursively, anything else replaced; null deletes (as helm).
func mergeValues(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sm, sok := v.(map[string]interface{})
		dm, dok := dst[k].(map[string]interface{})
		if sok && dok {
			dst[k] = mergeValues(dm, sm)
		} else {
			dst[k] = v
		}
	}
	return dst
}

// setValue applies one `a.b\.c=value`: a backslash escapes a dot inside a key.
func setValue(values map[string]interface{}, spec string, asString bool) error {
	eq := strings.Index(spec, "=")
	if eq <= 0 {
		return fmt.Errorf("--set %q: want key=value", spec)
	}
	var keys []string
	cur := ""
	for i := 0; i < eq; i++ {
		switch {
		case spec[i] == '\\' && i+1 < eq && spec[i+1] == '.':
			cur += "."
			i++
		case spec[i] == '.':
			keys = append(keys, cur)
			cur = ""
		default:
			cur += string(spec[i])
		}
	}
	keys = append(keys, cur)
	raw := spec[eq+1:]
	var value interface{} = raw
	if !asString {
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			value = n
		} else if raw == "true" || raw == "false" {
			value = raw == "true"
		} else if raw == "null" {
			value = nil
		}
	}
	node := values
	for _, k := range keys[:len(keys)-1] {
		next, ok := node[k].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			node[k] = next
		}
		node = next
	}
	last := keys[len(keys)-1]
	if value == nil {
		delete(node, last)
	} else {
		node[last] = value
	}
	return nil
}

func capabilities(kubeVersion string, extra []string) map[string]interface{} {
	v := strings.TrimPrefix(kubeVersion, "v")
	parts := strings.SplitN(v, ".", 3)
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	versions := append([]string{"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2",
		"networking.k8s.io/v1", "rbac.authorization.k8s.io/v1"}, extra...)
	return map[string]interface{}{
		"KubeVersion": map[string]interface{}{
			"Version": "v" + v, "GitVersion": "v" + v, "Major": parts[0], "Minor": parts[1],
		},
		"APIVersions": apiVersionSet(versions),
		"HelmVersion": map[string]interface{}{"Version": "v3.16.0-trx-render"},
	}
}

// apiVersionSet answers .Capabilities.APIVersions.Has "group/version" (or "group/version/Kind").
type apiVersionSet []string

func (s apiVersionSet) Has(v string) bool {
	for _, have := range s {
		if have == v || strings.HasPrefix(v, have+"/") {
			return true
		}
	}
	return false
}

// files is .Files: every file of the chart outside templates/, by path relative to the chart.
type files map[string][]byte

func (f files) Get(name string) string      { return string(f[name]) }
func (f files) GetBytes(name string) []byte { return f[name] }
func (f files) Glob(pattern string) files {
	out := files{}
	for name, data := range f {
		if ok, _ := path.Match(pattern, name); ok {
			out[name] = data
		}
	}
	return out
}

// AsConfig renders the files as the data of a ConfigMap (base names as keys), like helm's.
func (f files) AsConfig() string {
	m := map[string]string{}
	for name, data := range f {
		m[path.Base(name)] = string(data)
	}
	return toYAML(m)
}

func (f files) Lines(name string) []string {
	return strings.Split(strings.TrimSuffix(string(f[name]), "\n"), "\n")
}

func loadFiles(dir string) (files, error) {
	out := files{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if info.IsDir() {
			if rel == "templates" {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(p)
		out[rel] = data
		return err
	})
	return out, err
}

func renderTemplates(chartDir, chartName string, top map[string]interface{}, notes bool) (string, error) {
	root := template.New("gotpl")
	root.Option("missingkey=zero")
	root.Funcs(funcMap(root))
	var names []string
	err := filepath.Walk(filepath.Join(chartDir, "templates"), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(chartDir, p)
		name := chartName + "/" + filepath.ToSlash(rel)
		text, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if _, err := root.New(name).Parse(string(text)); err != nil {
			return err
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	var out strings.Builder
	for _, name := range names {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") {
			continue
		}
		isNotes := base == "NOTES.txt"
		scope := withTemplate(top, name, chartName+"/templates")
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, scope); err != nil {
			return "", err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if isNotes != notes {
			continue
		}
		if notes {
			out.WriteString(text)
		} else if strings.TrimSpace(text) != "" {
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, strings.TrimSpace(text))
		}
	}
	return out.String(), nil
}

func withTemplate(top map[string]interface{}, name, basePath string) map[string]interface{} {
	scope := map[string]interface{}{}
	for k, v := range top {
		scope[k] = v
	}
	scope["Template"] = map[string]interface{}{"Name": name, "BasePath": basePath}
	return scope
}

func funcMap(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["mustToYaml"] = toYAML
	f["fromYaml"] = fromYAML
	f["fromYamlArray"] = fromYAMLArray
	f["toJson"] = toJSON
	f["fromJson"] = fromJSON
	f["fromJsonArray"] = fromJSONArray
	f["required"] = required
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	return f
}

// required fails on nil and on the empty string, as helm's does.
func required(message string, value interface{}) (interface{}, error) {
	if value == nil {
		return nil, fmt.Errorf("%s", message)
	}
	if s, ok := value.(string); ok && s == "" {
		return nil, fmt.Errorf("%s", message)
	}
	return value, nil
}

// toYAML is helm's: through JSON (so numbers and key order come out as helm prints them),
// without the trailing newline; "" on error.
func toYAML(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var generic interface{}
	if err := yaml2.Unmarshal(b, &generic); err != nil {
		return ""
	}
	out, err := yaml2.Marshal(generic)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

func fromYAML(s string) map[string]interface{} {
	m, err := parseYAMLMap([]byte(s))
	if err != nil {
		return map[string]interface{}{"Error": err.Error()}
	}
	return m
}

func fromYAMLArray(s string) []interface{} {
	var v []interface{}
	if err := yaml3.Unmarshal([]byte(s), &v); err != nil {
		return []interface{}{err.Error()}
	}
	return v
}

func toJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(s string) []interface{} {
	var v []interface{}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return []interface{}{err.Error()}
	}
	return v
}
