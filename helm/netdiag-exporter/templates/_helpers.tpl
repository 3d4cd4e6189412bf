{{/* Chart name, overridable with nameOverride. */}}
{{- define "netdiag-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: the release name, plus the chart name unless the release name contains it.
At most 63 characters (a DNS label, the limit of Service names and label values).
*/}}
{{- define "netdiag-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The name of a further object of the release: the fullname cut so that the suffix always fits in 63
characters, so that two objects never collide after truncation. Usage:
  include "netdiag-exporter.suffixedName" (dict "context" . "suffix" "-headless")
*/}}
{{- define "netdiag-exporter.suffixedName" -}}
{{- $base := include "netdiag-exporter.fullname" .context | trunc (int (sub 63 (len .suffix))) | trimSuffix "-" }}
{{- printf "%s%s" $base .suffix }}
{{- end }}

{{/*
Name of the workload. A StatefulSet's is at most 52 characters: its pods carry the label
controller-revision-hash=<name>-<10-character hash>, and a label value over 63 characters means no pod
is ever created.
*/}}
{{- define "netdiag-exporter.workloadName" -}}
{{- if eq .Values.kind "StatefulSet" }}
{{- include "netdiag-exporter.fullname" . | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- include "netdiag-exporter.fullname" . }}
{{- end }}
{{- end }}

{{/* chart label: name-version. */}}
{{- define "netdiag-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object, pods included: the standard app.kubernetes.io set, then commonLabels. */}}
{{- define "netdiag-exporter.labels" -}}
helm.sh/chart: {{ include "netdiag-exporter.chart" . }}
{{ include "netdiag-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Labels that select the pods: never change them after the first install (selectors are immutable). The
instance is cut to 63 characters like every label value; Helm's own limit on release names (53) keeps
it whole in practice.
*/}}
{{- define "netdiag-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "netdiag-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of the one Service the ServiceMonitor scrapes. The StatefulSet's headless Service selects the
same pods on the same port, so the monitor tells them apart by the component label it alone lacks:
otherwise every pod is scraped twice, under two jobs.
*/}}
{{- define "netdiag-exporter.metricsServiceLabels" -}}
{{ include "netdiag-exporter.selectorLabels" . }}
app.kubernetes.io/component: metrics
{{- end }}

{{/* Name of the ServiceAccount of the pods. */}}
{{- define "netdiag-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "netdiag-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: [registry/]repository:tag (tag defaults to the chart's appVersion), or
[registry/]repository@digest. global.imageRegistry, when set, wins over image.registry (one mirror for
every image of an umbrella chart).
*/}}
{{- define "netdiag-exporter.image" -}}
{{- $registry := default .Values.image.registry .Values.global.imageRegistry }}
{{- $repository := .Values.image.repository }}
{{- if $registry }}
{{- $repository = printf "%s/%s" (trimSuffix "/" $registry) $repository }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (include "netdiag-exporter.scalar" (default .Chart.AppVersion .Values.image.tag)) }}
{{- end }}
{{- end }}

{{/*
A scalar of values.yaml as it was written. Helm reads every number of a values file as a float64, which
prints in exponent form from a million on (1000000 becomes 1e+06, which Kubernetes and the exporter
refuse): an integral number prints as an integer. Use it wherever a value lands in a template as text.
*/}}
{{- define "netdiag-exporter.scalar" -}}
{{- if and (kindIs "float64" .) (eq (floor .) .) (lt . 1e15) (gt . -1e15) }}
{{- int64 . }}
{{- else }}
{{- . }}
{{- end }}
{{- end }}

{{/* The config file's text: `config` as a YAML string, or a map rendered as YAML. */}}
{{- define "netdiag-exporter.config" -}}
{{- if kindIs "string" .Values.config }}
{{- .Values.config }}
{{- else }}
{{- toYaml .Values.config }}
{{- end }}
{{- end }}

{{/* Extra OTEL_RESOURCE_ATTRIBUTES from otlp.resourceAttributes, each as ",key=value". */}}
{{- define "netdiag-exporter.resourceAttributes" -}}
{{- range $key, $value := .Values.otlp.resourceAttributes }}
{{- printf ",%s=%s" $key (include "netdiag-exporter.scalar" $value) }}
{{- end }}
{{- end }}

{{/*
Whether the exporter serves HTTPS (webConfig has tls_server_config): probes, NOTES and monitors follow.
Prints "true" or nothing.
*/}}
{{- define "netdiag-exporter.tls" -}}
{{- if and .Values.webConfig .Values.webConfig.tls_server_config }}true{{ end }}
{{- end }}

{{/*
Scrape options shared by the ServiceMonitor's endpoint and the PodMonitor's podMetricsEndpoint. An empty
interval or scrapeTimeout is left out: Prometheus' own scrape_interval / scrape_timeout then apply.
Usage: include "netdiag-exporter.scrapeEndpoint" .Values.serviceMonitor
*/}}
{{- define "netdiag-exporter.scrapeEndpoint" -}}
{{- $monitor := . -}}
port: http
path: /metrics
{{- with $monitor.scheme }}
scheme: {{ . }}
{{- end }}
{{- with $monitor.tlsConfig }}
tlsConfig:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $monitor.basicAuth }}
basicAuth:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $monitor.honorLabels }}
honorLabels: true
{{- end }}
{{- with $monitor.interval }}
interval: {{ include "netdiag-exporter.scalar" . }}
{{- end }}
{{- with $monitor.scrapeTimeout }}
scrapeTimeout: {{ include "netdiag-exporter.scalar" . }}
{{- end }}
{{- with $monitor.relabelings }}
relabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $monitor.metricRelabelings }}
metricRelabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
