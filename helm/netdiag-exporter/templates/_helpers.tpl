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

{{/*
The standard app.kubernetes.io labels around the given selector labels, then commonLabels. Usage:
  include "netdiag-exporter.standardLabels" (dict "context" . "selectorLabels" (include ... .))
*/}}
{{- define "netdiag-exporter.standardLabels" -}}
helm.sh/chart: {{ include "netdiag-exporter.chart" .context }}
{{ .selectorLabels }}
app.kubernetes.io/version: {{ .context.Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
{{- with .context.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of every object of the main workload, its pods included. */}}
{{- define "netdiag-exporter.labels" -}}
{{- include "netdiag-exporter.standardLabels" (dict "context" . "selectorLabels" (include "netdiag-exporter.selectorLabels" .)) }}
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

{{/* Name of every object of the mesh (mesh.enabled): the fullname, cut so that "-mesh" fits. */}}
{{- define "netdiag-exporter.meshName" -}}
{{- include "netdiag-exporter.suffixedName" (dict "context" . "suffix" "-mesh") }}
{{- end }}

{{/*
Labels that select the mesh pods. Their name label is not the main workload's: the selectors of the
main workload, its Services, PodMonitor and PodDisruptionBudget never take a mesh pod, and the mesh
Service never takes a main pod.
*/}}
{{- define "netdiag-exporter.meshSelectorLabels" -}}
app.kubernetes.io/name: {{ include "netdiag-exporter.name" . | trunc 58 | trimSuffix "-" }}-mesh
app.kubernetes.io/instance: {{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object of the mesh, its pods included. */}}
{{- define "netdiag-exporter.meshLabels" -}}
{{- include "netdiag-exporter.standardLabels" (dict "context" . "selectorLabels" (include "netdiag-exporter.meshSelectorLabels" .)) }}
app.kubernetes.io/component: mesh
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
A ServiceMonitor or PodMonitor (Prometheus operator) with the options of serviceMonitor or podMonitor,
selecting in the release's namespace by matchLabels. Usage:
  include "netdiag-exporter.monitor" (dict "context" . "kind" "ServiceMonitor" "name" NAME
    "labels" OBJECT-LABELS "selector" SELECTED-LABELS)
*/}}
{{- define "netdiag-exporter.monitor" -}}
{{- $monitor := get .context.Values (untitle .kind) -}}
apiVersion: monitoring.coreos.com/v1
kind: {{ .kind }}
metadata:
  name: {{ .name }}
  namespace: {{ default .context.Release.Namespace $monitor.namespace }}
  labels:
    {{- .labels | nindent 4 }}
    {{- with $monitor.additionalLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- with $monitor.jobLabel }}
  jobLabel: {{ . }}
  {{- end }}
  namespaceSelector:
    matchNames:
      - {{ .context.Release.Namespace }}
  selector:
    matchLabels:
      {{- .selector | nindent 6 }}
  {{ if eq .kind "ServiceMonitor" }}endpoints{{ else }}podMetricsEndpoints{{ end }}:
    - {{ include "netdiag-exporter.scrapeEndpoint" $monitor | indent 6 | trim }}
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

{{/*
The pod's network: hostNetwork (with the DNS policy that keeps cluster names resolvable) and hostUsers.
Usage: include "netdiag-exporter.podNetwork" (dict "context" . "hostNetwork" BOOL "key" "VALUE NAME")
*/}}
{{- define "netdiag-exporter.podNetwork" -}}
{{- $values := .context.Values }}
{{- if and .hostNetwork (eq (toString $values.hostUsers) "false") }}
{{- /* The API server refuses this pod (a user namespace cannot own the host's network namespace): say so now. */}}
{{- fail (printf "hostUsers: false cannot be combined with %s: true (Kubernetes refuses a pod in its own user namespace on the host network): unset hostUsers, or set %s: false" .key .key) }}
{{- end }}
{{- if .hostNetwork }}
hostNetwork: true
dnsPolicy: ClusterFirstWithHostNet
{{- end }}
{{- if not (kindIs "invalid" $values.hostUsers) }}
hostUsers: {{ $values.hostUsers }}
{{- end }}
{{- end }}

{{/*
The container's arguments every pod of the chart starts with (the caller adds its own, then extraArgs).
*/}}
{{- define "netdiag-exporter.args" -}}
- --config.file=/etc/netdiag-exporter/config.yaml
- --web.listen-address=:{{ include "netdiag-exporter.scalar" .Values.containerPort }}
- --log.level={{ .Values.log.level }}
- --log.format={{ .Values.log.format }}
{{- if .Values.webConfig }}
- --web.config.file=/etc/netdiag-exporter-web/web-config.yml
{{- end }}
{{- end }}

{{/*
The OTLP push variables, for otlp.enabled: the standard OpenTelemetry ones, the pod and node as
resource attributes.
*/}}
{{- define "netdiag-exporter.otlpEnv" -}}
# Standard OpenTelemetry variables: the exporter pushes OTLP/HTTP (JSON) to the endpoint.
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ required "otlp.endpoint is required when otlp.enabled" .Values.otlp.endpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ .Values.otlp.protocol | quote }}
{{- with .Values.otlp.interval }}
- name: OTEL_METRIC_EXPORT_INTERVAL
  value: {{ include "netdiag-exporter.scalar" . | quote }}
{{- end }}
{{- with .Values.otlp.headersSecret }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}
- name: OTEL_K8S_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: OTEL_K8S_NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "service.instance.id=$(OTEL_K8S_POD_NAME),k8s.node.name=$(OTEL_K8S_NODE_NAME)%s" (include "netdiag-exporter.resourceAttributes" .) | quote }}
{{- end }}

{{/*
The container's port and kubelet probes. With TLS (webConfig.tls_server_config) the probes use HTTPS;
with basic auth the kubelet could only probe with a password in the pod spec: it checks the port.
*/}}
{{- define "netdiag-exporter.portAndProbes" -}}
{{- $tls := include "netdiag-exporter.tls" . }}
{{- $auth := and .Values.webConfig .Values.webConfig.basic_auth_users -}}
ports:
  - name: http
    containerPort: {{ include "netdiag-exporter.scalar" .Values.containerPort }}
    protocol: TCP
{{- range $probe, $path := dict "livenessProbe" "/-/healthy" "readinessProbe" "/-/ready" }}
{{ $probe }}:
  {{- if $auth }}
  tcpSocket:
    port: http
  {{- else }}
  httpGet:
    path: {{ $path }}
    port: http
    {{- if $tls }}
    scheme: HTTPS
    {{- end }}
  {{- end }}
  {{- toYaml (get $.Values $probe) | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The container's volume mounts: the config directory, the web config and its certificates, /tmp,
then extraVolumeMounts. The volumes are netdiag-exporter.volumes'.
*/}}
{{- define "netdiag-exporter.volumeMounts" -}}
# The whole directory, not a subPath: a subPath mount never sees ConfigMap updates.
- name: config
  mountPath: /etc/netdiag-exporter
  readOnly: true
{{- if .Values.webConfig }}
# --web.config.file; re-read by the exporter when it changes.
- name: web-config
  mountPath: /etc/netdiag-exporter-web
  readOnly: true
{{- end }}
{{- if .Values.webTlsSecret }}
- name: web-tls
  mountPath: /etc/netdiag-exporter-tls
  readOnly: true
{{- end }}
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The pod's volumes behind netdiag-exporter.volumeMounts; the config is the given ConfigMap. Usage:
  include "netdiag-exporter.volumes" (dict "context" . "configMap" NAME)
*/}}
{{- define "netdiag-exporter.volumes" -}}
{{- $values := .context.Values -}}
- name: config
  configMap:
    name: {{ .configMap }}
{{- if $values.webConfig }}
- name: web-config
  secret:
    secretName: {{ include "netdiag-exporter.suffixedName" (dict "context" .context "suffix" "-web-config") }}
{{- end }}
{{- if $values.webTlsSecret }}
- name: web-tls
  secret:
    secretName: {{ $values.webTlsSecret }}
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: 16Mi
{{- with $values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}
