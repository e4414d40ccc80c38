{{/*
Name of the release's objects: the release name, or "<release>-trx" when the release name
does not contain the chart name. At most 63 characters (a DNS label).
*/}}
{{- define "trx.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
Name of one app's objects. Call with (list $ "<app>").
*/}}
{{- define "trx.componentName" -}}
{{- printf "%s-%s" (include "trx.fullname" (index . 0)) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels that select one app's pods. Call with (list $ "<app>").
*/}}
{{- define "trx.selectorLabels" -}}
app.kubernetes.io/name: {{ (index . 0).Chart.Name }}
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/*
Labels of every object of one app. Call with (list $ "<app>").
*/}}
{{- define "trx.labels" -}}
helm.sh/chart: {{ printf "%s-%s" (index . 0).Chart.Name (index . 0).Chart.Version | replace "+" "_" }}
{{ include "trx.selectorLabels" . }}
app.kubernetes.io/version: {{ (index . 0).Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ (index . 0).Release.Service }}
{{- end -}}

{{/*
The Secret holding DATABASE_URLs, AMQP_URL and CONSUL_TOKEN: existingSecret, or the chart's own.
*/}}
{{- define "trx.secretName" -}}
{{- if .Values.existingSecret -}}
{{- .Values.existingSecret -}}
{{- else -}}
{{- include "trx.fullname" . -}}
{{- end -}}
{{- end -}}

{{/*
DATABASE_URL of one app. Call with (list $ $app), $app an entry of .Values.apps.
*/}}
{{- define "trx.databaseUrl" -}}
{{- $pg := (index . 0).Values.postgres -}}
{{- $app := index . 1 -}}
{{- $auth := $pg.user -}}
{{- if $pg.password -}}
{{- $auth = printf "%s:%s" $pg.user ($pg.password | urlquery) -}}
{{- end -}}
{{- $url := printf "postgres://%s@%s:%v/%s" $auth $pg.host $pg.port $app.database -}}
{{- if $pg.options -}}
{{- $url = printf "%s?%s" $url $pg.options -}}
{{- end -}}
{{- $url -}}
{{- end -}}

{{/*
AMQP_URL of every app.
*/}}
{{- define "trx.amqpUrl" -}}
{{- $mq := .Values.rabbitmq -}}
{{- $url := printf "amqp://%s:%s@%s:%v" $mq.user ($mq.password | urlquery) $mq.host $mq.port -}}
{{- if $mq.vhost -}}
{{- $url = printf "%s/%s" $url ($mq.vhost | urlquery) -}}
{{- end -}}
{{- $url -}}
{{- end -}}

{{/*
SERVICE_URLS: every app at its Kubernetes Service (used by the apps when consul.url is empty).
*/}}
{{- define "trx.serviceUrls" -}}
{{- $urls := list -}}
{{- range $name, $app := .Values.apps -}}
{{- $urls = append $urls (printf "%s=http://%s:%v" $name (include "trx.componentName" (list $ $name)) $app.port) -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}
