{{/* The release's full name: the chart name, prefixed by the release unless it already holds it. */}}
{{- define "gp.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "gp.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* On every object: who made it and which release it belongs to. */}}
{{- define "gp.labels" -}}
{{ include "gp.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kaito-ts
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "gp.serviceAccountName" -}}
{{- default (include "gp.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "gp.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}
{{- end -}}

{{- define "gp.leaseName" -}}
{{- printf "%s-%s" (include "gp.fullname" .) .Values.nodeAPI -}}
{{- end -}}

{{/* The node-request kind this provisioner fulfils: nodeclaims or machines (karpenter.sh). */}}
{{- define "gp.nodeRequestPlural" -}}
{{- if eq .Values.nodeAPI "machine" -}}machines{{- else -}}nodeclaims{{- end -}}
{{- end -}}

{{/* A label map as the settings helper's k=v,k2=v2 (sorted, so renders are stable). */}}
{{- define "gp.keyValues" -}}
{{- $pairs := list -}}
{{- range $k, $v := . -}}{{- $pairs = append $pairs (printf "%s=%v" $k $v) -}}{{- end -}}
{{- join "," $pairs -}}
{{- end -}}
