export {
  KOKPIT_VERSION,
  kokpitUserAgent,
  loadKubeConfig,
  makeClients,
  observeRequests,
  userAgentOf,
  withUserAgent,
  makeObjectApi,
  type FieldValidation,
  type KubeClients,
  type LoadKubeConfigOptions,
  type RequestObserver,
} from './client';
export { writeRequest, type WriteRequest } from './request-paths';
export {
  FIELD_MANAGER,
  applyObject,
  createObject,
  deleteObject,
  describeRef,
  listObjects,
  readObject,
  secretText,
  type ApplyOptions,
  type CreateOptions,
  type DeleteOptions,
  type ObjectRef,
} from './objects';
export { KubeApiError, describeKubeError, isConflict, isNotFound, redactSecrets, toKubeApiError, type StatusCause } from './errors';
export { applyRawCRD } from './crds';
