{{/* The release's full name: the chart name, prefixed by the release unless it already holds it. */}}
{{- define "wc.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "wc.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* On every object: who made it and which release it belongs to. */}}
{{- define "wc.labels" -}}
{{ include "wc.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kaito-ts
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "wc.serviceAccountName" -}}
{{- default (include "wc.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "wc.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}
{{- end -}}

{{- define "wc.leaseName" -}}
{{- include "wc.fullname" . -}}
{{- end -}}

{{- define "wc.webhookName" -}}
{{- printf "%s.kaito.sh" (include "wc.fullname" .) -}}
{{- end -}}

{{- define "wc.webhookSecret" -}}
{{- printf "%s-webhook-cert" (include "wc.fullname" .) -}}
{{- end -}}

{{/* The node-request kind the chart grants: nodeclaims or machines (karpenter.sh). */}}
{{- define "wc.nodeRequestPlural" -}}
{{- if eq .Values.nodeAPI "machine" -}}machines{{- else -}}nodeclaims{{- end -}}
{{- end -}}
