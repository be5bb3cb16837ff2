export {
  runningControlPlanes,
  controlPlaneBinaries,
  startControlPlane,
  AUDIT_MARK_PATH,
  type ControlPlane,
  type ControlPlaneProcess,
  type StartControlPlaneOptions,
} from './controlplane';
export { applyCRDs, installCRDs, readCRDs } from './crds';
export { resolveBinaries, type BinaryRequest, type ResolveOptions } from './binaries';
export { KWOK_NODE_ANNOTATION, isNodeReady, kwokNode, kwokNodeName } from './kwok';
export { killAllNow, livePids, tailFile } from '../binaries/processes';
export { freePort, freePorts, httpsGet, httpsRequest, waitFor, type TlsMaterial, type WaitOptions } from './wait';
export { reapStaleControlPlanes, isAlive } from './reaper';
