export {
  runningControlPlanes,
  startControlPlane,
  type ControlPlane,
  type ControlPlaneProcess,
  type StartControlPlaneOptions,
} from './controlplane';
export { installCRDs, readCRDs } from './crds';
export { resolveBinaries, type BinaryRequest, type ResolveOptions } from './binaries';
export { KWOK_NODE_ANNOTATION, isNodeReady, kwokNode, kwokNodeName } from './kwok';
export { killAllNow, livePids, tailFile } from './processes';
export { freePort, httpsGet, waitFor, type WaitOptions } from './wait';
