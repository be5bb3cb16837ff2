// One validation engine for the editor and the CLI.
export { validateText, checkText, definedNames, type CheckedText } from './validate';
export { parseDocuments, parseWithLibrary } from './parse';
export { LIMITS, tooLargeMessage } from './limits';
export type { Diagnostic, FindingData, ValidateOptions, Severity, PathSegment } from './types';
export { formatPath } from './types';
export { documentTarget, isTarget, KOKPIT_KIND_NAMES, type DocumentTarget } from './document-schemas';
export { compileSchema, schemaAt, typeLabel, type CompiledSchema, type JsonSchema } from './schema';
export { KIND_CLUSTER_SCHEMA, KIND_API_VERSION, KIND_KIND } from './kind-cluster-schema';
export { LineIndex } from './positions';
