/**
 * The service control manager's client half (advapi32): each routine is an
 * RPC to services.exe, sent over its LPC port (\RPC Control\ntsvcs) with
 * NtRequestWaitReplyPort. The request and the reply are laid out on the
 * calling thread's stack; the SCM answers with a Win32 error, which becomes
 * the last error when it is one.
 * https://learn.microsoft.com/windows/win32/services/service-control-manager
 */
import { NT_SUCCESS } from '../include/ntstatus.js';
import { PORT_MESSAGE, type Arch } from '../include/structures.js';
import {
  decodeSvcctlReply, encodeSvcctlRequest, SVCCTL_MAX_MESSAGE, SVCCTL_PORT_NAME, SvcctlOpnum, type ServiceStatus, type SvcctlArg,
} from '../include/svcctl.js';
import { ERROR_SUCCESS, RPC_S_SERVER_UNAVAILABLE } from '../include/winerror.js';
import { RtlNtStatusToDosError } from '../kernel/ex/status-to-dos.js';
import type { GuestMemoryAccess } from '../kernel/mm/access.js';
import type { NativeRoutines } from './native.js';
import type { UserStack } from './user-stack.js';
import { ulongFromProgram } from './program-arguments.js';

export type { ServiceStatus } from '../include/svcctl.js';

/** What the client needs of its thread. */
export interface ScmClientThread {
  readonly arch: Arch;
  readonly mem: GuestMemoryAccess;
  readonly stack: UserStack;
  readonly native: NativeRoutines;
  setLastError(error: number): void;
}

/** LPC_REQUEST. */
const LPC_REQUEST = 1;

/** The SCM routines of one program thread (OpenSCManagerW, CreateServiceW, StartServiceW, ...). */
export function makeScmClient(t: ScmClientThread) {
  const { arch, mem, stack, native } = t;
  /** A DWORD argument as a register holds it (program-arguments.ts: a bigint's low bits, a Symbol the program's access violation). */
  const ulong = (v: unknown): number => (typeof v === 'number' ? v >>> 0 : ulongFromProgram(arch, v));
  let port = 0;

  /** One RPC: connect on first use, send the request, read the reply; a transport failure is the RPC error it would be. */
  const call = (opnum: number, args: readonly SvcctlArg[]): { ok: boolean; value: number; serviceStatus?: ServiceStatus } => {
    if (port === 0) {
      const c = native.NtConnectPort(SVCCTL_PORT_NAME, 0, 0, 0, 0, 0);
      if (!NT_SUCCESS(c.status)) {
        t.setLastError(RPC_S_SERVER_UNAVAILABLE);
        return { ok: false, value: 0 };
      }
      port = c.portHandle;
    }
    const header = PORT_MESSAGE[arch];
    const data = encodeSvcctlRequest(opnum, args);
    return stack.frame(() => {
      const request = stack.push(header.size + data.length, 8);
      const reply = stack.push(SVCCTL_MAX_MESSAGE, 8);
      mem.setBytes(request, new Uint8Array(header.size));
      mem.setUint16(request + header.DataLength, data.length);
      mem.setUint16(request + header.TotalLength, header.size + data.length);
      mem.setUint16(request + header.Type, LPC_REQUEST);
      mem.setBytes(request + header.size, data);
      const status = native.NtRequestWaitReplyPort(port, request, reply);
      if (!NT_SUCCESS(status)) {
        t.setLastError(RtlNtStatusToDosError(status));
        return { ok: false, value: 0 };
      }
      const r = decodeSvcctlReply(mem.getBytes(reply + header.size, mem.getUint16(reply + header.DataLength)));
      if (r.error !== ERROR_SUCCESS) t.setLastError(r.error);
      return { ok: r.error === ERROR_SUCCESS, value: r.value, ...(r.serviceStatus ? { serviceStatus: r.serviceStatus } : {}) };
    });
  };
  const text = (s: string | number | null): string | null => (typeof s === 'number' ? mem.getString(s, 'utf-16le') : s);
  const withStatus = (r: { ok: boolean; serviceStatus?: ServiceStatus }) => (r.serviceStatus ? { ok: r.ok, serviceStatus: r.serviceStatus } : { ok: r.ok });

  return {
    /** OpenSCManagerW: only this machine (lpMachineName NULL). */
    OpenSCManagerW(lpMachineName: string | null, lpDatabaseName: string | null, dwDesiredAccess: number): number {
      if (lpMachineName) {
        t.setLastError(RPC_S_SERVER_UNAVAILABLE); // no other machines
        return 0;
      }
      return call(SvcctlOpnum.ROpenSCManagerW, [lpMachineName, lpDatabaseName, ulong(dwDesiredAccess)]).value;
    },
    CreateServiceW(hSCManager: number, lpServiceName: string, lpDisplayName: string | null, dwDesiredAccess: number, dwServiceType: number,
      dwStartType: number, dwErrorControl: number, lpBinaryPathName: string | number, _lpLoadOrderGroup: string | null = null,
      _lpDependencies: string | null = null, _lpServiceStartName: string | null = null, _lpPassword: string | null = null): { value: number; tagId: number } {
      const r = call(SvcctlOpnum.RCreateServiceW, [hSCManager, lpServiceName, lpDisplayName, ulong(dwDesiredAccess), dwServiceType,
        dwStartType, dwErrorControl, text(lpBinaryPathName)]);
      return { value: r.value, tagId: 0 };
    },
    OpenServiceW(hSCManager: number, lpServiceName: string, dwDesiredAccess: number): number {
      return call(SvcctlOpnum.ROpenServiceW, [hSCManager, lpServiceName, ulong(dwDesiredAccess)]).value;
    },
    StartServiceW(hService: number, _dwNumServiceArgs = 0, _lpServiceArgVectors: number | null = null): boolean {
      return call(SvcctlOpnum.RStartServiceW, [hService]).ok;
    },
    ControlService(hService: number, dwControl: number): { ok: boolean; serviceStatus?: ServiceStatus } {
      return withStatus(call(SvcctlOpnum.RControlService, [hService, ulong(dwControl)]));
    },
    QueryServiceStatus(hService: number): { ok: boolean; serviceStatus?: ServiceStatus } {
      return withStatus(call(SvcctlOpnum.RQueryServiceStatus, [hService]));
    },
    DeleteService(hService: number): boolean {
      return call(SvcctlOpnum.RDeleteService, [hService]).ok;
    },
    CloseServiceHandle(hSCObject: number): boolean {
      return call(SvcctlOpnum.RCloseServiceHandle, [hSCObject]).ok;
    },
  };
}
