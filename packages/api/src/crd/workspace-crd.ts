import {
  DNS_SUBDOMAIN_PATTERN,
  HTTP_URL_PATTERN,
  IMAGE_REFERENCE_PATTERN,
  INSTANCE_TYPE_PATTERN,
  MODEL_NAME_PATTERN,
} from '../codecs/primitives.js';
import { GROUP, MAX_ADAPTERS, MAX_INPUT_URLS, STORAGE_VERSION, V1ALPHA1, V1BETA1, WORKSPACE_KIND, WORKSPACE_PLURAL } from '../workspace/constants.js';
import { arr, int, num, obj, schemaless, str, stringMap, type Schema } from './schema.js';

type Version = typeof V1ALPHA1 | typeof V1BETA1;

const immutable = (field: string, hint: string) => ({ rule: 'self == oldSelf', message: `${field} is immutable; ${hint}` });

/**
 * A string format as a CEL rule with a human message instead of an OpenAPI `pattern`: the API
 * server prints a failed pattern as the regular expression itself, which tells a user nothing.
 * The field path comes first in the server's error (`tuning.output.image: Invalid value: …: <message>`).
 */
const matching = (pattern: string, message: string): Pick<Schema, 'x-kubernetes-validations'> => ({
  'x-kubernetes-validations': [{ rule: `self.matches('${pattern.replace(/\\/g, '\\\\')}')`, message }],
});
export const FORMAT_MESSAGES = {
  instanceType: 'must be a VM size such as Standard_NC6s_v3 or Standard_NC24ads_A100_v4 (letters, digits, ".", "_" and "-")',
  modelName: 'must be a preset name such as phi-3-mini-128k-instruct or a Hugging Face id such as microsoft/Phi-3-mini-128k-instruct',
  adapterName: 'must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".") such as adapter-phi-3',
  image: 'must be a lowercase image reference such as myregistry.azurecr.io/adapters/phi-3:0.0.1',
} as const;

const labelSelector: Schema = obj(
  'Selects the GPU nodes for this workspace. Provisioned nodes get these labels; with bring-your-own nodes, matching nodes are used. Immutable.',
  {
    matchLabels: stringMap('Labels a node must carry (key: value).'),
    matchExpressions: arr(
      'Label requirements a node must meet.',
      obj(
        'A label requirement.',
        {
          key: str('The label key.'),
          operator: str('How the key relates to values.', { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }),
          values: arr('Values for In and NotIn.', { type: 'string' }),
        },
        { required: ['key', 'operator'] },
      ),
    ),
  },
  { 'x-kubernetes-map-type': 'atomic', 'x-kubernetes-validations': [immutable('resource.labelSelector', 'create a new Workspace to select other nodes')] },
);

function resource(version: Version): Schema {
  const properties: Record<string, Schema> = {
    count: int(
      version === V1BETA1
        ? 'Deprecated: the node count is estimated from the model and instance type (status.targetNodeCount). Immutable.'
        : 'How many GPU nodes to provision. Immutable.',
      { minimum: 1, default: 1, 'x-kubernetes-validations': [immutable('resource.count', 'create a new Workspace to change the node count')] },
    ),
    instanceType: str(
      'The GPU VM size to provision, such as Standard_NC6s_v3 (1x V100 16 GiB) or Standard_NC24ads_A100_v4. Immutable.',
      { ...matching(INSTANCE_TYPE_PATTERN, FORMAT_MESSAGES.instanceType), maxLength: 128, ...(version === V1ALPHA1 ? { default: 'Standard_NC24ads_A100_v4' } : {}) },
    ),
    labelSelector,
    preferredNodes: arr('Deprecated and ignored: existing nodes are chosen through labelSelector.', { type: 'string' }),
  };
  if (version === V1BETA1) {
    properties['partition'] = obj(
      'Share a GPU between workspaces (bring-your-own nodes only). Immutable.',
      {
        mode: str('mig: a NVIDIA MIG profile; accelerator: a count of accelerators.', { enum: ['mig', 'accelerator'] }),
        profile: str('The MIG profile, e.g. 1g.10gb (mig mode).'),
        count: int('How many slices or accelerators (accelerator mode).', { minimum: 1 }),
      },
      {
        required: ['mode'],
        'x-kubernetes-validations': [
          immutable('resource.partition', 'create a new Workspace to change it'),
          {
            rule: "self.mode != 'mig' || (has(self.profile) && self.profile != '' && !has(self.count))",
            message: 'resource.partition: mig mode needs a profile and no count',
          },
          {
            rule: "self.mode != 'accelerator' || (has(self.count) && (!has(self.profile) || self.profile == ''))",
            message: 'resource.partition: accelerator mode needs a count and no profile',
          },
        ],
      },
    );
  }
  return obj('The GPU nodes a workspace runs on: which VM size, and how the nodes are selected.', properties, {
    required: ['labelSelector'],
    'x-kubernetes-validations': [
      {
        rule: 'has(self.instanceType) == has(oldSelf.instanceType) && (!has(self.instanceType) || self.instanceType == oldSelf.instanceType)',
        message: 'resource.instanceType is immutable; create a new Workspace to use another instance type',
      },
      // The rule on partition itself runs only when old and new both have one; this catches adding or removing it.
      ...(version === V1BETA1
        ? [{ rule: 'has(self.partition) == has(oldSelf.partition)', message: 'resource.partition is immutable; create a new Workspace to add or remove it' }]
        : []),
    ],
  });
}

function preset(version: Version, role: 'inference' | 'tuning'): Schema {
  const options: Record<string, Schema> = {
    image: str('Deprecated and ignored.'),
    imagePullSecrets: arr('Deprecated and ignored.', { type: 'string' }),
  };
  if (version === V1BETA1) {
    options['modelAccessSecret'] = str('A Secret in the workspace namespace with key HF_TOKEN, for models that need a Hugging Face token.');
  }
  return obj(
    `The preset model to ${role === 'inference' ? 'serve' : 'tune'}.`,
    {
      name: str('A preset name such as phi-3-mini-128k-instruct, or a Hugging Face id such as microsoft/Phi-3-mini-128k-instruct. Immutable.', {
        ...matching(MODEL_NAME_PATTERN, FORMAT_MESSAGES.modelName),
        maxLength: 253,
      }),
      accessMode: str('Deprecated: public or private model images.', { enum: ['public', 'private'] }),
      presetOptions: obj('Options for the preset.', options),
    },
    {
      required: ['name'],
      'x-kubernetes-validations': [{ rule: 'self.name == oldSelf.name', message: `${role}.preset.name is immutable; create a new Workspace for another model` }],
    },
  );
}

const volumeSource = (what: string) => schemaless(`A Kubernetes VolumeSource (for example persistentVolumeClaim) ${what}.`);

function adapters(): Schema {
  return arr(
    `LoRA adapters loaded next to the model (at most ${MAX_ADAPTERS}).`,
    obj(
      'An adapter.',
      {
        source: obj(
          'Where the adapter comes from: an image (as pushed by a tuning workspace) or a volume.',
          {
            name: str('The adapter name; a DNS-1123 subdomain, unique within the workspace.', { ...matching(DNS_SUBDOMAIN_PATTERN, FORMAT_MESSAGES.adapterName), maxLength: 253 }),
            urls: arr('Not supported for adapters.', { type: 'string' }),
            image: str('An adapter image, such as myregistry.azurecr.io/adapters/phi-3:0.0.1.', { ...matching(IMAGE_REFERENCE_PATTERN, FORMAT_MESSAGES.image), maxLength: 512 }),
            volumeSource: volumeSource('holding the adapter files'),
            imagePullSecrets: arr('Secrets for pulling the adapter image.', { type: 'string' }),
          },
          {
            required: ['name'],
            'x-kubernetes-validations': [
              { rule: '!has(self.urls)', message: 'adapters come from an image or a volume; urls are not supported' },
              { rule: 'has(self.image) != has(self.volumeSource)', message: 'exactly one of image or volumeSource must be set for an adapter source' },
            ],
          },
        ),
        strength: str('How strongly the adapter applies, from 0 to 1 (transformers runtime only).'),
      },
      { required: ['source'] },
    ),
    {
      maxItems: MAX_ADAPTERS,
      'x-kubernetes-validations': [{ rule: 'self.all(a, self.exists_one(b, b.source.name == a.source.name))', message: 'adapter names must be unique' }],
    },
  );
}

function inference(version: Version): Schema {
  const properties: Record<string, Schema> = {
    preset: preset(version, 'inference'),
    template: schemaless('A PodTemplateSpec for serving a model that is not a preset. Exactly one of preset or template.'),
    adapters: adapters(),
  };
  if (version === V1BETA1) {
    properties['config'] = str('A ConfigMap in the workspace namespace with key inference_config.yaml (runtime settings such as vllm max-model-len).');
  }
  return obj('Serve a model behind an OpenAI-compatible endpoint: Service <name> port 80. Exactly one of inference or tuning.', properties, {
    'x-kubernetes-validations': [
      { rule: 'has(self.preset) != has(self.template)', message: 'exactly one of inference.preset or inference.template must be set' },
      { rule: 'has(self.preset) == has(oldSelf.preset)', message: 'inference cannot change between preset and template; create a new Workspace' },
    ],
  });
}

function tuning(version: Version): Schema {
  return obj(
    'Fine-tune a preset model with LoRA or QLoRA and deliver the adapter to an image or a volume. Exactly one of inference or tuning.',
    {
      preset: preset(version, 'tuning'),
      method: str('lora (16-bit base weights) or qlora (4-bit quantised base weights, less GPU memory). Immutable.', {
        enum: ['lora', 'qlora'],
        'x-kubernetes-validations': [immutable('tuning.method', 'create a new Workspace to tune with another method')],
      }),
      config: str('A ConfigMap in the workspace namespace with key training_config.yaml; defaults to the method\'s template.'),
      input: obj(
        'The training data: exactly one of urls, image or volumeSource. Parquet, JSON Lines, JSON and CSV files with chat messages, prompt/completion or text rows.',
        {
          name: str('A name for the dataset.'),
          urls: arr('http(s) URLs of data files, downloaded when the job starts.', str('An http or https URL.', { maxLength: 2048 }), {
            minItems: 1,
            maxItems: MAX_INPUT_URLS,
            'x-kubernetes-validations': [
              {
                rule: `self.all(u, u.matches('${HTTP_URL_PATTERN.replace(/\\/g, '\\\\')}'))`,
                message: 'tuning.input.urls: every URL must start with http:// or https:// and name a host',
              },
            ],
          }),
          image: str('An image whose /data directory holds the data files.', { ...matching(IMAGE_REFERENCE_PATTERN, FORMAT_MESSAGES.image), maxLength: 512 }),
          volumeSource: volumeSource('holding the data files'),
          imagePullSecrets: arr('Secrets for pulling the input image.', { type: 'string' }),
        },
        {
          'x-kubernetes-validations': [
            {
              rule: '(has(self.urls) ? 1 : 0) + (has(self.image) ? 1 : 0) + (has(self.volumeSource) ? 1 : 0) == 1',
              message: 'exactly one of tuning.input.urls, image or volumeSource must be set',
            },
            {
              // As Kaito's webhook: an unset name equals "".
              rule: "(has(self.name) ? self.name : '') == (has(oldSelf.name) ? oldSelf.name : '')",
              message: 'tuning.input.name is immutable; create a new Workspace to tune on another dataset',
            },
          ],
        },
      ),
      output: obj(
        'Where the tuned adapter goes: an image pushed with imagePushSecret, or a volume.',
        {
          image: str('The adapter image to push, such as myregistry.azurecr.io/adapters/phi-3:0.0.1.', { ...matching(IMAGE_REFERENCE_PATTERN, FORMAT_MESSAGES.image), maxLength: 512 }),
          imagePushSecret: str('A kubernetes.io/dockerconfigjson Secret with push credentials for the image registry.', { minLength: 1 }),
          volumeSource: volumeSource('receiving the adapter files'),
        },
        {
          'x-kubernetes-validations': [
            { rule: 'has(self.image) != has(self.volumeSource)', message: 'exactly one of tuning.output.image or volumeSource must be set' },
            { rule: '!has(self.image) || has(self.imagePushSecret)', message: 'tuning.output.imagePushSecret is required when tuning.output.image is set' },
          ],
        },
      ),
    },
    { required: ['preset', 'method', 'input', 'output'] },
  );
}

const status: Schema = obj('What the controller observed.', {
  workerNodes: arr('The nodes the workload runs on.', { type: 'string' }),
  targetNodeCount: int('How many nodes the workspace needs (estimated from the model and instance type).'),
  state: str('Pending, Ready or NotReady (inference); Pending, Running, Succeeded or Failed (tuning).'),
  conditions: arr(
    'ResourceReady, InferenceReady, JobStarted, WorkspaceSucceeded and WorkspaceReady; reasons are listed in docs/troubleshooting.md.',
    obj(
      'A metav1.Condition.',
      {
        type: str('The condition type.'),
        status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
        observedGeneration: int('The generation the condition was computed for.', { format: 'int64' }),
        lastTransitionTime: str('When the status last changed.', { format: 'date-time' }),
        reason: str('A CamelCase reason.'),
        message: str('What happened and what to do.'),
      },
      { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
    ),
    { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
  ),
  performance: schemaless('Measured performance, such as peak tokens per minute.'),
  tuning: obj('Tuning progress (our addition): the runner\u2019s phase and training progress while it runs, the pushed adapter image and digest when it succeeded.', {
    phase: str('Starting, Downloading, Converting, Training, Verifying, Pushing, Copying, Succeeded or Failed.'),
    step: int('Training steps done.'),
    maxSteps: int('Training steps planned.'),
    epoch: num('Epochs done (fractional).'),
    loss: num('The last logged training loss.'),
    image: str('The adapter image pushed.'),
    digest: str('The pushed manifest digest (sha256:\u2026); pull the adapter by it.'),
    updatedAt: str('When the runner last reported.', { format: 'date-time' }),
  }),
});

function versionSchema(version: Version): Schema {
  return obj(
    'A Workspace serves or fine-tunes an AI model on GPU nodes that it provisions. Fields live at the top level (there is no spec), as in Kaito.',
    {
      apiVersion: str('The API version: kaito.sh/v1alpha1 or kaito.sh/v1beta1.'),
      kind: str('Workspace.'),
      metadata: { type: 'object' },
      resource: resource(version),
      inference: inference(version),
      tuning: tuning(version),
      status,
    },
    {
      required: ['resource'],
      'x-kubernetes-validations': [
        { rule: 'has(self.inference) != has(self.tuning)', message: 'exactly one of inference or tuning must be set' },
        { rule: 'has(self.inference) == has(oldSelf.inference)', message: 'a Workspace cannot switch between inference and tuning; create a new Workspace' },
        {
          rule: '!has(self.tuning) || !has(self.resource.count) || self.resource.count <= 1',
          message: 'resource.count must be 1 for a tuning Workspace: tuning runs on a single node',
        },
        ...(version === V1BETA1
          ? [{ rule: '!has(self.tuning) || !has(self.resource.partition)', message: 'resource.partition is not supported for a tuning Workspace' }]
          : []),
        {
          rule: "!has(self.metadata.name) || (size(self.metadata.name) <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'))",
          message: 'metadata.name must be a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters): it names the Service and StatefulSet',
        },
      ],
    },
  );
}

const conditionColumn = (name: string, type: string, priority = 0) => ({
  name,
  type: 'string',
  jsonPath: `.status.conditions[?(@.type=="${type}")].status`,
  ...(priority ? { priority } : {}),
});

const printerColumns = [
  { name: 'Instance', type: 'string', jsonPath: '.resource.instanceType' },
  conditionColumn('ResourceReady', 'ResourceReady'),
  conditionColumn('InferenceReady', 'InferenceReady'),
  conditionColumn('JobStarted', 'JobStarted', 1),
  conditionColumn('WorkspaceSucceeded', 'WorkspaceSucceeded', 1),
  conditionColumn('WorkspaceReady', 'WorkspaceReady'),
  { name: 'State', type: 'string', jsonPath: '.status.state', priority: 1 },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

/** The workspaces.kaito.sh CustomResourceDefinition, generated into crds/ (see scripts/gen-crds.ts). */
export function workspaceCrd() {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${WORKSPACE_PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      names: { kind: WORKSPACE_KIND, listKind: 'WorkspaceList', plural: WORKSPACE_PLURAL, singular: 'workspace', shortNames: ['wk', 'wks'], categories: ['kaito'] },
      scope: 'Namespaced',
      versions: [V1ALPHA1, V1BETA1].map((name) => ({
        name,
        served: true,
        storage: name === STORAGE_VERSION,
        subresources: { status: {} },
        additionalPrinterColumns: printerColumns,
        schema: { openAPIV3Schema: versionSchema(name as Version) },
      })),
    },
  };
}
