{{/* Chart name, overridable with nameOverride. */}}
{{- define "netdiag-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: the release name, plus the chart name unless the release name contains it. */}}
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

{{/* chart label: name-version. */}}
{{- define "netdiag-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "netdiag-exporter.labels" -}}
helm.sh/chart: {{ include "netdiag-exporter.chart" . }}
{{ include "netdiag-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the pods: never change them after the first install (selectors are immutable). */}}
{{- define "netdiag-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "netdiag-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The image reference: repository:tag (tag defaults to the chart's appVersion), or repository@digest. */}}
{{- define "netdiag-exporter.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
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
{{- printf ",%s=%v" $key $value }}
{{- end }}
{{- end }}
