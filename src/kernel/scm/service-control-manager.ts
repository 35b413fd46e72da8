/**
 * The service control manager (services.exe), for kernel-driver services:
 * the service database is the registry's Services key (one key per service:
 * ImagePath, Type, Start, ErrorControl, DisplayName); the SCM itself keeps
 * only what the registry does not — SC_HANDLEs per process, and which
 * services are marked for delete. StartService and ControlService(STOP) are
 * NtLoadDriver / NtUnloadDriver on the service's key, made as System.
 *
 * Its answers are Win32 error codes, as the SCM's RPC interface returns
 * them; kernel32's wrappers put them in GetLastError.
 * https://learn.microsoft.com/windows/win32/services/service-control-manager
 */
import { RtlNtStatusToDosError } from '../ex/status-to-dos.js';
import { STATUS_SUCCESS } from '../../include/ntstatus.js';
import { REG_EXPAND_SZ } from '../../include/registry-constants.js';
import {
  ERROR_ACCESS_DENIED, ERROR_INVALID_HANDLE, ERROR_INVALID_NAME, ERROR_INVALID_PARAMETER,
  ERROR_INVALID_SERVICE_CONTROL, ERROR_SERVICE_ALREADY_RUNNING, ERROR_SERVICE_DISABLED, ERROR_SERVICE_DOES_NOT_EXIST, ERROR_SERVICE_EXISTS,
  ERROR_SERVICE_MARKED_FOR_DELETE, ERROR_SERVICE_NOT_ACTIVE, ERROR_SUCCESS, RPC_S_INVALID_TAG, RPC_S_PROCNUM_OUT_OF_RANGE,
} from '../../include/winerror.js';
import {
  SC_MANAGER_CREATE_SERVICE, SERVICE_ACCEPT_STOP, SERVICE_CONTROL_INTERROGATE, SERVICE_CONTROL_STOP, SERVICE_DISABLED, SERVICE_KERNEL_DRIVER,
  SERVICE_QUERY_STATUS, SERVICE_RUNNING, SERVICE_START, SERVICE_STOP, SERVICE_STOP_PENDING, SERVICE_STOPPED,
} from '../../include/win32-constants.js';
import { DELETE } from '../../include/wdm-constants.js';
import type { DriverImage } from '../io/driver-load.js';
import { CmpNow, type CmContext } from '../cm/context.js';
import type { CmKeyNode } from '../cm/key.js';
import { CmCreateKey, CmDeleteKey } from '../cm/key-ops.js';
import { IopLoadDriverFromKey, IopUnloadDriverFromKey } from '../cm/load-driver.js';
import { CM_SERVICES_KEY_PATH } from '../cm/registry.js';
import { CmQueryValueDword, CmSetValueDword, CmSetValueString } from '../cm/value-helpers.js';
import { COST_SCM_CALL_NS } from '../ke/cost.js';
import { LpcCreateServerPort } from '../lpc/port.js';
import {
  decodeSvcctlRequest, encodeSvcctlReply, SVCCTL_MAX_MESSAGE, SVCCTL_PORT_NAME, SvcctlOpnum, type ServiceStatus, type SvcctlReply,
} from '../../include/svcctl.js';
import type { EProcess } from '../ps/process.js';

export type { ServiceStatus } from '../../include/svcctl.js';

/** What the SCM keeps of a service besides its key: open handles and the delete mark. */
interface Service {
  /** The service's key under Services (its name is the service name). */
  key: CmKeyNode;
  markedForDelete: boolean;
  openHandles: number;
}

interface ScHandle {
  process: EProcess;
  access: number;
  service?: Service;
}

/** The answer of an SCM call: a Win32 error (0 for success) and, where it makes one, a value. */
export interface ScmResult<T = number> {
  error: number;
  value: T;
}

const SC_HANDLE_BASE = 0x00c0_0000;

/** The service control manager: the service database (in the registry) and SC_HANDLEs; starts and stops load and unload drivers. */
export class ServiceControlManager {
  /** Services with an open handle or a delete mark, by upcased name; the rest live in the registry only. */
  private readonly services = new Map<string, Service>();
  private readonly handles = new Map<number, ScHandle>();
  private nextHandle = SC_HANDLE_BASE;

  constructor(private readonly k: CmContext) {
    k.ps.exitNotifyRoutines.push((process) => this.processExited(process));
    k.io.unloadNotifyRoutines.push((serviceName) => this.driverUnloaded(serviceName));
    // services.exe's RPC endpoint: every SCM call of a program arrives here, as a message.
    LpcCreateServerPort(k, SVCCTL_PORT_NAME, (request, client) => encodeSvcctlReply(this.dispatch(request, client)), SVCCTL_MAX_MESSAGE);
  }

  /** One svcctl call: decoded, done on behalf of the client process, answered. */
  private dispatch(request: Uint8Array, client: EProcess): SvcctlReply {
    this.k.charge(COST_SCM_CALL_NS);
    const call = decodeSvcctlRequest(request);
    if (!call) return { error: RPC_S_INVALID_TAG, value: 0 };
    const a = call.args;
    const num = (i: number): number => (typeof a[i] === 'number' ? a[i] : 0);
    const str = (i: number): string | null => (typeof a[i] === 'string' ? a[i] : null);
    const withStatus = (r: ScmResult<ServiceStatus | undefined>): SvcctlReply =>
      (r.value ? { error: r.error, value: 0, serviceStatus: r.value } : { error: r.error, value: 0 });
    switch (call.opnum) {
      case SvcctlOpnum.ROpenSCManagerW: return this.OpenSCManager(client, num(2));
      case SvcctlOpnum.RCreateServiceW: {
        const name = str(1) ?? '';
        return this.CreateService(client, num(0), name, str(2) ?? name, num(3), num(4), num(5), num(6), str(7) ?? '');
      }
      case SvcctlOpnum.ROpenServiceW: return this.OpenService(client, num(0), str(1) ?? '', num(2));
      case SvcctlOpnum.RStartServiceW: return this.StartService(client, num(0));
      case SvcctlOpnum.RControlService: return withStatus(this.ControlService(client, num(0), num(1)));
      case SvcctlOpnum.RQueryServiceStatus: return withStatus(this.QueryServiceStatus(client, num(0)));
      case SvcctlOpnum.RDeleteService: return this.DeleteService(client, num(0));
      case SvcctlOpnum.RCloseServiceHandle: return this.CloseServiceHandle(client, num(0));
      default: return { error: RPC_S_PROCNUM_OUT_OF_RANGE, value: 0 };
    }
  }

  /** Puts a driver image on disk as <name>.sys (the I/O manager's image store). */
  install(serviceName: string, image: DriverImage): void {
    this.k.io.images.install(serviceName, image);
  }

  /** The Services key. */
  private get servicesKey(): CmKeyNode {
    const key = this.k.registry.parse(null, CM_SERVICES_KEY_PATH);
    if (!('key' in key)) throw new Error('the Services key is missing');
    return key.key;
  }

  /** A service's key path, for NtLoadDriver and NtUnloadDriver. */
  private keyPath(service: Service): string {
    return `${CM_SERVICES_KEY_PATH}\\${service.key.name}`;
  }

  /** The service of that name: its runtime state if it has one, else a fresh one over its registry key. */
  private lookup(serviceName: string): Service | undefined {
    const known = this.services.get(serviceName.toUpperCase());
    if (known) return known;
    if (!serviceName || /[\\/]/.test(serviceName)) return undefined;
    const key = this.servicesKey.subkey(serviceName);
    return key ? { key, markedForDelete: false, openHandles: 0 } : undefined;
  }

  /**
   * Writes a service's key, as CreateService does: ImagePath (REG_EXPAND_SZ,
   * as given), Type, Start, ErrorControl (REG_DWORD), DisplayName (REG_SZ).
   */
  writeServiceKey(serviceName: string, displayName: string, serviceType: number, startType: number, errorControl: number,
    imagePath: string): CmKeyNode | undefined {
    const now = CmpNow(this.k);
    const { key } = CmCreateKey(this.k.registry, this.servicesKey, serviceName, 0, now);
    if (!key) return undefined;
    CmSetValueString(key, 'ImagePath', imagePath, now, REG_EXPAND_SZ);
    CmSetValueDword(key, 'Type', serviceType, now);
    CmSetValueDword(key, 'Start', startType, now);
    CmSetValueDword(key, 'ErrorControl', errorControl, now);
    CmSetValueString(key, 'DisplayName', displayName, now);
    return key;
  }

  private isAdmin(process: EProcess): boolean {
    return process.user !== 'user';
  }

  private newHandle(entry: ScHandle): number {
    const h = (this.nextHandle += 8);
    this.handles.set(h, entry);
    if (entry.service) {
      entry.service.openHandles++;
      this.services.set(entry.service.key.upcasedName, entry.service);
    }
    return h;
  }

  OpenSCManager(process: EProcess, desiredAccess: number): ScmResult {
    if ((desiredAccess & SC_MANAGER_CREATE_SERVICE) && !this.isAdmin(process)) return { error: ERROR_ACCESS_DENIED, value: 0 };
    return { error: ERROR_SUCCESS, value: this.newHandle({ process, access: desiredAccess }) };
  }

  CreateService(process: EProcess, scManager: number, serviceName: string, displayName: string, desiredAccess: number,
    serviceType: number, startType: number, errorControl: number, binaryPath: string): ScmResult {
    const mgr = this.handles.get(scManager);
    if (!mgr || mgr.service || mgr.process !== process) return { error: ERROR_INVALID_HANDLE, value: 0 };
    if (!(mgr.access & SC_MANAGER_CREATE_SERVICE)) return { error: ERROR_ACCESS_DENIED, value: 0 };
    if (!serviceName || /[\\/]/.test(serviceName)) return { error: ERROR_INVALID_NAME, value: 0 };
    if (serviceType !== SERVICE_KERNEL_DRIVER || !binaryPath) return { error: ERROR_INVALID_PARAMETER, value: 0 };
    const existing = this.lookup(serviceName);
    if (existing) return { error: existing.markedForDelete ? ERROR_SERVICE_MARKED_FOR_DELETE : ERROR_SERVICE_EXISTS, value: 0 };
    const key = this.writeServiceKey(serviceName, displayName, serviceType, startType, errorControl, binaryPath);
    if (!key) return { error: ERROR_INVALID_NAME, value: 0 };
    const service: Service = { key, markedForDelete: false, openHandles: 0 };
    return { error: ERROR_SUCCESS, value: this.newHandle({ process, access: desiredAccess, service }) };
  }

  OpenService(process: EProcess, scManager: number, serviceName: string, desiredAccess: number): ScmResult {
    const mgr = this.handles.get(scManager);
    if (!mgr || mgr.service || mgr.process !== process) return { error: ERROR_INVALID_HANDLE, value: 0 };
    const service = this.lookup(serviceName);
    if (!service) return { error: ERROR_SERVICE_DOES_NOT_EXIST, value: 0 };
    if ((desiredAccess & (SERVICE_START | SERVICE_STOP | DELETE)) && !this.isAdmin(process)) return { error: ERROR_ACCESS_DENIED, value: 0 };
    return { error: ERROR_SUCCESS, value: this.newHandle({ process, access: desiredAccess, service }) };
  }

  private serviceHandle(process: EProcess, handle: number, access: number): { error: number; service?: Service } {
    const h = this.handles.get(handle);
    if (!h || !h.service || h.process !== process) return { error: ERROR_INVALID_HANDLE };
    if ((h.access & access) !== access) return { error: ERROR_ACCESS_DENIED };
    return { error: ERROR_SUCCESS, service: h.service };
  }

  /**
   * StartService: NtLoadDriver, which runs DriverEntry in the System process.
   * A service whose Start is SERVICE_DISABLED is refused here, by the SCM:
   * NtLoadDriver itself does not read Start.
   * https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-startservicew
   */
  StartService(process: EProcess, handle: number): ScmResult {
    const { error, service } = this.serviceHandle(process, handle, SERVICE_START);
    if (!service) return { error, value: 0 };
    if (service.markedForDelete) return { error: ERROR_SERVICE_MARKED_FOR_DELETE, value: 0 };
    if (this.running(service)) return { error: ERROR_SERVICE_ALREADY_RUNNING, value: 0 };
    if (CmQueryValueDword(service.key, 'Start').dword === SERVICE_DISABLED) return { error: ERROR_SERVICE_DISABLED, value: 0 };
    // services.exe holds SeLoadDriverPrivilege; here the SCM is kernel code, so NtLoadDriver's check passes as it would.
    const status = IopLoadDriverFromKey(this.k, this.keyPath(service));
    return { error: status === STATUS_SUCCESS ? ERROR_SUCCESS : RtlNtStatusToDosError(status), value: 0 };
  }

  /** Whether the service's driver is loaded. */
  private running(service: Service): boolean {
    return this.k.io.drivers.has(service.key.upcasedName);
  }

  /** The I/O manager has unloaded a driver (perhaps later than asked): a service marked for delete can go. */
  driverUnloaded(serviceName: string): void {
    const service = this.services.get(serviceName.toUpperCase());
    if (service) this.maybeDelete(service);
  }

  /** Whether some driver's unload waits for its files to close. */
  get unloadPending(): boolean {
    for (const d of this.k.io.drivers.values()) if (d.unloadPending) return true;
    return false;
  }

  /** ControlService: STOP unloads the driver; INTERROGATE reports. */
  ControlService(process: EProcess, handle: number, control: number): ScmResult<ServiceStatus | undefined> {
    const need = control === SERVICE_CONTROL_STOP ? SERVICE_STOP : SERVICE_QUERY_STATUS;
    const { error, service } = this.serviceHandle(process, handle, control === SERVICE_CONTROL_INTERROGATE ? 0x80 : need);
    if (!service) return { error, value: undefined };
    const running = this.running(service);
    // The status is filled for ERROR_INVALID_SERVICE_CONTROL and ERROR_SERVICE_NOT_ACTIVE too. https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-controlservice
    if (control !== SERVICE_CONTROL_STOP && control !== SERVICE_CONTROL_INTERROGATE) return { error: ERROR_INVALID_SERVICE_CONTROL, value: this.status(service) };
    if (!running) return { error: ERROR_SERVICE_NOT_ACTIVE, value: this.status(service) };
    if (control === SERVICE_CONTROL_STOP) {
      const driver = this.k.io.drivers.get(service.key.upcasedName);
      if (!driver?.DriverUnload) return { error: ERROR_INVALID_SERVICE_CONTROL, value: this.status(service) };
      IopUnloadDriverFromKey(this.k, this.keyPath(service));
    }
    const value = this.status(service);
    this.maybeDelete(service);
    return { error: ERROR_SUCCESS, value };
  }

  QueryServiceStatus(process: EProcess, handle: number): ScmResult<ServiceStatus | undefined> {
    const { error, service } = this.serviceHandle(process, handle, SERVICE_QUERY_STATUS);
    return service ? { error: ERROR_SUCCESS, value: this.status(service) } : { error, value: undefined };
  }

  private status(service: Service): ServiceStatus {
    const running = this.running(service);
    const driver = this.k.io.drivers.get(service.key.upcasedName);
    const state = driver?.unloadPending ? SERVICE_STOP_PENDING : running ? SERVICE_RUNNING : SERVICE_STOPPED;
    return {
      dwServiceType: CmQueryValueDword(service.key, 'Type').dword, dwCurrentState: state,
      dwControlsAccepted: running && driver?.DriverUnload ? SERVICE_ACCEPT_STOP : 0,
      dwWin32ExitCode: 0, dwServiceSpecificExitCode: 0, dwCheckPoint: 0, dwWaitHint: 0,
    };
  }

  /** DeleteService: marked now, gone when stopped and its last handle is closed. */
  DeleteService(process: EProcess, handle: number): ScmResult {
    const { error, service } = this.serviceHandle(process, handle, DELETE);
    if (!service) return { error, value: 0 };
    if (service.markedForDelete) return { error: ERROR_SERVICE_MARKED_FOR_DELETE, value: 0 };
    service.markedForDelete = true;
    this.maybeDelete(service);
    return { error: ERROR_SUCCESS, value: 0 };
  }

  CloseServiceHandle(process: EProcess, handle: number): ScmResult {
    const h = this.handles.get(handle);
    if (!h || h.process !== process) return { error: ERROR_INVALID_HANDLE, value: 0 };
    this.handles.delete(handle);
    if (h.service) {
      h.service.openHandles--;
      this.maybeDelete(h.service);
    }
    return { error: ERROR_SUCCESS, value: 0 };
  }

  /** RPC rundown: a dead process's SC_HANDLEs are closed. */
  processExited(process: EProcess): void {
    for (const [h, entry] of [...this.handles]) if (entry.process === process) this.CloseServiceHandle(process, h);
  }

  /** A service is forgotten when its last handle closes; one marked for delete loses its key then, once stopped. */
  private maybeDelete(service: Service): void {
    if (service.openHandles > 0) return;
    if (!service.markedForDelete) {
      this.services.delete(service.key.upcasedName);
      return;
    }
    if (this.running(service)) return;
    this.services.delete(service.key.upcasedName);
    CmDeleteKey(service.key, CmpNow(this.k));
  }

  get openHandleCount(): number {
    return this.handles.size;
  }
}
