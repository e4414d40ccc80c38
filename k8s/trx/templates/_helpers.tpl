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
The key of an app in the camelCase maps of the values (secrets.tokens, postgres.users, ...):
"order-service" -> "orderService".
*/}}
{{- define "trx.key" -}}
{{- camelcase . | untitle -}}
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
The Secret with every credential: secrets.existingSecret, or the chart's own.
*/}}
{{- define "trx.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else -}}
{{- include "trx.fullname" . -}}
{{- end -}}
{{- end -}}

{{/*
The image of one app: <registry>/<repository>:<tag>[@<digest>]. Call with (list $ $app).
*/}}
{{- define "trx.image" -}}
{{- $root := index . 0 -}}
{{- $app := index . 1 -}}
{{- $registry := required "image.registry is required: the registry you pushed the trx images to (README.md, Install)" $root.Values.image.registry -}}
{{- $repository := required "apps.<app>.image.repository is required" $app.image.repository -}}
{{- $tag := $app.image.tag | default $root.Values.image.tag | default $root.Chart.AppVersion -}}
{{- $image := printf "%s/%s:%s" (trimSuffix "/" $registry) $repository $tag -}}
{{- if $app.image.digest -}}
{{- $image = printf "%s@%s" $image $app.image.digest -}}
{{- end -}}
{{- $image -}}
{{- end -}}

{{/*
Percent-encodes a user name or password for the userinfo of a URL (RFC 3986): every byte
but the unreserved A-Z a-z 0-9 - . _ ~ becomes %XX, so a space is %20 (urlquery's "+" is
form encoding, which a URL parser reads as a plus sign).
*/}}
{{- define "trx.urlEscape" -}}
{{- range $char := splitList "" (toString .) -}}
{{- if regexMatch "^[A-Za-z0-9._~-]$" $char -}}
{{- $char -}}
{{- else -}}
{{- regexReplaceAll "(..)" (printf "%X" $char) "%${1}" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
A password from secrets.<map>.<key>: required, not "guest". Call with (list $map "<key>" "<what>").
*/}}
{{- define "trx.password" -}}
{{- $map := index . 0 -}}
{{- $key := index . 1 -}}
{{- $what := index . 2 -}}
{{- $password := required (printf "%s.%s is required (or secrets.existingSecret)" $what $key) (index $map $key) | toString -}}
{{- if eq (lower $password) "guest" -}}
{{- fail (printf "%s.%s may not be \"guest\"" $what $key) -}}
{{- end -}}
{{- $password -}}
{{- end -}}

{{/*
DATABASE_URL of one app. Call with (list $ "<app>").
*/}}
{{- define "trx.databaseUrl" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $key := include "trx.key" $name -}}
{{- $pg := $root.Values.postgres -}}
{{- $app := index $root.Values.apps $name -}}
{{- $user := required (printf "postgres.users.%s is required" $key) (index $pg.users $key) -}}
{{- $password := include "trx.password" (list $root.Values.secrets.postgresPasswords $key "secrets.postgresPasswords") -}}
{{- $host := required "postgres.host is required: the Postgres server" $pg.host -}}
{{- $url := printf "postgres://%s:%s@%s:%v/%s" (include "trx.urlEscape" $user) (include "trx.urlEscape" $password) $host $pg.port $app.database -}}
{{- if $pg.options -}}
{{- $url = printf "%s?%s" $url $pg.options -}}
{{- end -}}
{{- $url -}}
{{- end -}}

{{/*
AMQP_URL of one app. Call with (list $ "<app>").
*/}}
{{- define "trx.amqpUrl" -}}
{{- $root := index . 0 -}}
{{- $key := include "trx.key" (index . 1) -}}
{{- $mq := $root.Values.rabbitmq -}}
{{- $user := required (printf "rabbitmq.users.%s is required" $key) (index $mq.users $key) -}}
{{- $password := include "trx.password" (list $root.Values.secrets.rabbitmqPasswords $key "secrets.rabbitmqPasswords") -}}
{{- $host := required "rabbitmq.host is required: the RabbitMQ broker" $mq.host -}}
{{- printf "amqp://%s:%s@%s:%v/%s" (include "trx.urlEscape" $user) (include "trx.urlEscape" $password) $host $mq.port (include "trx.urlEscape" $mq.vhost) -}}
{{- end -}}

{{/*
A token from secrets.tokens: required, at least 32 characters. Call with (list $ "<key>").
*/}}
{{- define "trx.token" -}}
{{- $key := index . 1 -}}
{{- $token := required (printf "secrets.tokens.%s is required (or secrets.existingSecret)" $key) (index (index . 0).Values.secrets.tokens $key) | toString -}}
{{- if lt (len $token) 32 -}}
{{- fail (printf "secrets.tokens.%s must be at least 32 characters" $key) -}}
{{- end -}}
{{- $token -}}
{{- end -}}

{{/*
Whom an app knows: every app and the operator, so a known caller that may not call a route
is 403, not 401 (each route decides; docs/security.md).
*/}}
{{- define "trx.trustedIdentities" -}}
transaction-server: [order-service, account-service, product-service, transaction-server, operator]
order-service: [order-service, account-service, product-service, transaction-server, operator]
account-service: [order-service, account-service, product-service, transaction-server, operator]
product-service: [order-service, account-service, product-service, transaction-server, operator]
{{- end -}}

{{/*
TRX_TRUSTED_CALLERS of one app: identity:sha256hex of each trusted caller's token, and of its
Previous token when one is set (rotation). Call with (list $ "<app>").
*/}}
{{- define "trx.trustedCallers" -}}
{{- $root := index . 0 -}}
{{- $entries := list -}}
{{- range $identity := index (include "trx.trustedIdentities" $root | fromYaml) (index . 1) -}}
{{- $key := include "trx.key" $identity -}}
{{- $entries = append $entries (printf "%s:%s" $identity (include "trx.token" (list $root $key) | sha256sum)) -}}
{{- with index $root.Values.secrets.tokens (printf "%sPrevious" $key) -}}
{{- $entries = append $entries (printf "%s:%s" $identity (include "trx.token" (list $root (printf "%sPrevious" $key)) | sha256sum)) -}}
{{- end -}}
{{- end -}}
{{- join "," $entries -}}
{{- end -}}

{{/*
SERVICE_URLS: every app at its Kubernetes Service.
*/}}
{{- define "trx.serviceUrls" -}}
{{- $urls := list -}}
{{- range $name, $app := .Values.apps -}}
{{- $urls = append $urls (printf "%s=http://%s:%v" $name (include "trx.componentName" (list $ $name)) $app.port) -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}

{{/*
Fails unless the pod's grace period covers the preStop sleep and the app's shutdown bound.
*/}}
{{- define "trx.checkGracePeriod" -}}
{{- range $name, $app := .Values.apps -}}
{{- $shutdownMs := index (merge (dict) $app.config $.Values.config) "SHUTDOWN_TIMEOUT_MS" | default "10000" -}}
{{- $needed := add $.Values.preStopSleepSeconds (div (add (int $shutdownMs) 999) 1000) -}}
{{- if lt (int $.Values.terminationGracePeriodSeconds) (int $needed) -}}
{{- fail (printf "terminationGracePeriodSeconds (%v) must be at least preStopSleepSeconds + SHUTDOWN_TIMEOUT_MS of %s in seconds (%v)" $.Values.terminationGracePeriodSeconds $name $needed) -}}
{{- end -}}
{{- end -}}
{{- end -}}
