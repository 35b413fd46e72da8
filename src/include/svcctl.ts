/**
 * The service control manager's RPC interface (svcctl, served by
 * services.exe at \RPC Control\ntsvcs), as ntshm carries it over an LPC
 * port: the operation numbers are svcctl's; the marshalling is ntshm's own
 * (not NDR), a self-describing list of arguments.
 * https://learn.microsoft.com/openspecs/windows_protocols/ms-scmr/ (MS-SCMR: the opnums)
 *
 *   request data:  opnum:u32  count:u32  count × (tag:u32 value:u32 length:u32)  strings (UTF-16LE)
 *                  tag 0 = a number (value), 1 = a string at byte offset `value`, `length` chars; 2 = NULL
 *   reply data:    error:u32  value:u32  hasStatus:u32  SERVICE_STATUS (7 × u32)
 */

/** The port services.exe listens on. */
export const SVCCTL_PORT_NAME = '\\RPC Control\\ntsvcs';
/** Longest message the port takes, header included (an ALPC-sized limit: docs/fidelity.md). */
export const SVCCTL_MAX_MESSAGE = 0x1000;

/** svcctl operation numbers (MS-SCMR 3.1.4). */
export const SvcctlOpnum = {
  RCloseServiceHandle: 0,
  RControlService: 1,
  RDeleteService: 2,
  RQueryServiceStatus: 6,
  RCreateServiceW: 12,
  ROpenSCManagerW: 15,
  ROpenServiceW: 16,
  RStartServiceW: 19,
} as const;

/** An argument of a request. */
export type SvcctlArg = number | string | null;

/** SERVICE_STATUS's seven DWORDs, in order. */
export interface ServiceStatus {
  dwServiceType: number;
  dwCurrentState: number;
  dwControlsAccepted: number;
  dwWin32ExitCode: number;
  dwServiceSpecificExitCode: number;
  dwCheckPoint: number;
  dwWaitHint: number;
}

/** A reply: a Win32 error (0 for success), a value (a handle, or 0), and a SERVICE_STATUS where the operation fills one. */
export interface SvcctlReply {
  error: number;
  value: number;
  serviceStatus?: ServiceStatus;
}

const STATUS_FIELDS = ['dwServiceType', 'dwCurrentState', 'dwControlsAccepted', 'dwWin32ExitCode', 'dwServiceSpecificExitCode',
  'dwCheckPoint', 'dwWaitHint'] as const;

/** Encodes a request. */
export function encodeSvcctlRequest(opnum: number, args: readonly SvcctlArg[]): Uint8Array {
  const fixed = 8 + 12 * args.length;
  const strings = args.reduce<number>((n, a) => n + (typeof a === 'string' ? a.length * 2 : 0), 0);
  const bytes = new Uint8Array(fixed + strings);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, opnum, true);
  view.setUint32(4, args.length, true);
  let at = fixed;
  args.forEach((a, i) => {
    const slot = 8 + 12 * i;
    if (typeof a === 'string') {
      view.setUint32(slot, 1, true);
      view.setUint32(slot + 4, at, true);
      view.setUint32(slot + 8, a.length, true);
      for (let c = 0; c < a.length; c++, at += 2) view.setUint16(at, a.charCodeAt(c), true);
    } else {
      view.setUint32(slot, a === null ? 2 : 0, true);
      view.setUint32(slot + 4, a === null ? 0 : a >>> 0, true);
    }
  });
  return bytes;
}

/** Decodes a request; undefined if it is malformed (a client may send anything). */
export function decodeSvcctlRequest(bytes: Uint8Array): { opnum: number; args: SvcctlArg[] } | undefined {
  if (bytes.length < 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(4, true);
  if (count > 16 || 8 + 12 * count > bytes.length) return undefined;
  const args: SvcctlArg[] = [];
  for (let i = 0; i < count; i++) {
    const slot = 8 + 12 * i;
    const tag = view.getUint32(slot, true);
    const value = view.getUint32(slot + 4, true);
    if (tag === 0) args.push(value);
    else if (tag === 2) args.push(null);
    else if (tag === 1) {
      const length = view.getUint32(slot + 8, true);
      if (value + length * 2 > bytes.length) return undefined;
      let s = '';
      for (let c = 0; c < length; c++) s += String.fromCharCode(view.getUint16(value + 2 * c, true));
      args.push(s);
    } else return undefined;
  }
  return { opnum: view.getUint32(0, true), args };
}

/** Encodes a reply. */
export function encodeSvcctlReply(reply: SvcctlReply): Uint8Array {
  const bytes = new Uint8Array(12 + 4 * STATUS_FIELDS.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, reply.error >>> 0, true);
  view.setUint32(4, reply.value >>> 0, true);
  view.setUint32(8, reply.serviceStatus ? 1 : 0, true);
  STATUS_FIELDS.forEach((f, i) => view.setUint32(12 + 4 * i, reply.serviceStatus?.[f] ?? 0, true));
  return bytes;
}

/** Decodes a reply. */
export function decodeSvcctlReply(bytes: Uint8Array): SvcctlReply {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reply: SvcctlReply = { error: view.getUint32(0, true), value: view.getUint32(4, true) };
  if (view.getUint32(8, true)) {
    const s = {} as Record<(typeof STATUS_FIELDS)[number], number>;
    STATUS_FIELDS.forEach((f, i) => (s[f] = view.getUint32(12 + 4 * i, true)));
    reply.serviceStatus = s;
  }
  return reply;
}
