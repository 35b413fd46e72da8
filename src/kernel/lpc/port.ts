/**
 * LPC ports, as far as a client of a system service needs them: a server
 * port with a name (created by the server when the kernel is built), a
 * connection to it (NtConnectPort, a communication port in the client's
 * handle table), and a request that waits for its reply
 * (NtRequestWaitReplyPort). This is how advapi32 reaches the service
 * control manager (\RPC Control\ntsvcs): nothing but the message crosses.
 *
 * A message is a PORT_MESSAGE header and up to `maxMessageLength` bytes in
 * all; the server sees the request's data and the client's process, and
 * answers with the reply's data.
 * https://learn.microsoft.com/windows/win32/devnotes/ntconnectport
 */
import { NtException } from '../../include/errors.js';
import {
  STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_OBJECT_TYPE_MISMATCH, STATUS_PORT_MESSAGE_TOO_LONG, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import { writeClientId } from '../../include/struct-access.js';
import { PORT_MESSAGE } from '../../include/structures.js';
import { UserMode } from '../../include/wdm-constants.js';
import {
  captureOrStatus, ProbeAndCaptureUnicodeString, ProbeForWritePointer, ProbeForWriteUlong, writeHandle, writeOutUlong,
} from '../ex/capture.js';
import { ProbeForRead, ProbeForWrite } from '../ex/probe.js';
import type { IoContext } from '../io/context.js';
import { ObjectAllocationFailed } from '../ob/manager.js';
import { KernelObject, type ObjectType } from '../ob/object.js';
import type { EProcess } from '../ps/process.js';

/** The Port object type (body size: ntshm's own, for pool accounting). */
export const LpcPortObjectType: ObjectType = { name: 'Port', bodySize: { x64: 0x1a8, x86: 0xf8 } };

/** PORT_ALL_ACCESS. */
const PORT_ALL_ACCESS = 0x001f_0001;
/** LPC_REQUEST and LPC_REPLY message types. */
const LPC_REQUEST = 1;
const LPC_REPLY = 2;

/** What a server does with a request: its data and the client's process in, the reply's data out. */
export type PortServer = (request: Uint8Array, client: EProcess) => Uint8Array;

/** A port: a named server port, or a client's communication port connected to one. */
export class PortObject extends KernelObject {
  constructor(readonly server: PortServer, readonly maxMessageLength: number) {
    super(LpcPortObjectType);
  }
}

/** Creates a named server port (NtCreatePort, by a server built with the kernel). */
export function LpcCreateServerPort(k: IoContext, name: string, server: PortServer, maxMessageLength: number): PortObject {
  const port = k.ob.ObCreateObject(new PortObject(server, maxMessageLength));
  const { status } = k.ob.insertName(name, port, 0, true);
  if (status !== STATUS_SUCCESS) throw new NtException(status);
  k.ob.ObDereferenceObject(port); // the name holds it
  return port;
}

/** NtConnectPort: a communication port to the named server port, as a handle in the caller's process. */
export function NtConnectPort(k: IoContext, PortHandle: number, PortName: number, _SecurityQos: number, _ClientView: number,
  _ServerView: number, MaxMessageLength: number, _ConnectionInformation: number, _ConnectionInformationLength: number): number {
  const name = captureOrStatus(() => {
    ProbeForWritePointer(k, PortHandle);
    if (MaxMessageLength !== 0) ProbeForWriteUlong(k, MaxMessageLength);
    return ProbeAndCaptureUnicodeString(k, PortName);
  });
  if (typeof name === 'number') return name;
  const found = k.ob.lookup(name);
  if (typeof found === 'number') return found;
  const server = found.object;
  if (!(server instanceof PortObject)) return STATUS_OBJECT_TYPE_MISMATCH;
  let port: PortObject;
  try {
    port = k.ob.ObCreateObject(new PortObject(server.server, server.maxMessageLength));
  } catch (e) {
    if (e instanceof ObjectAllocationFailed) return STATUS_INSUFFICIENT_RESOURCES;
    throw e;
  }
  const handle = k.ob.createHandle(k.currentProcess, port, PORT_ALL_ACCESS, 0);
  k.ob.ObDereferenceObject(port);
  const written = captureOrStatus(() => {
    writeHandle(k, PortHandle, handle);
    if (MaxMessageLength !== 0) writeOutUlong(k, MaxMessageLength, server.maxMessageLength);
  });
  return typeof written === 'number' ? written : STATUS_SUCCESS;
}

/** NtRequestWaitReplyPort: the request is captured, the server answers, the reply is written back. */
export function NtRequestWaitReplyPort(k: IoContext, PortHandle: number, RequestMessage: number, ReplyMessage: number): number {
  const ref = k.ob.ObReferenceObjectByHandle(PortHandle, 0, LpcPortObjectType, k.currentThread.PreviousMode, k.currentProcess);
  if (!ref.object) return ref.status;
  const port = ref.object as PortObject;
  try {
    const header = PORT_MESSAGE[k.arch];
    const mem = k.kernelMemory;
    const user = k.currentThread.PreviousMode === UserMode;
    const request = captureOrStatus(() => {
      if (user) ProbeForRead(k, RequestMessage, header.size, 4);
      const dataLength = mem.getUint16(RequestMessage + header.DataLength);
      const totalLength = mem.getUint16(RequestMessage + header.TotalLength);
      if (totalLength !== header.size + dataLength) throw new NtException(STATUS_INVALID_PARAMETER);
      if (totalLength > port.maxMessageLength) throw new NtException(STATUS_PORT_MESSAGE_TOO_LONG);
      if (user) ProbeForRead(k, RequestMessage + header.size, dataLength, 1);
      if (user) ProbeForWrite(k, ReplyMessage, port.maxMessageLength, 4);
      return mem.getBytes(RequestMessage + header.size, dataLength);
    });
    if (typeof request === 'number') return request;
    const reply = port.server(request, k.currentProcess);
    if (header.size + reply.length > port.maxMessageLength) return STATUS_PORT_MESSAGE_TOO_LONG;
    const written = captureOrStatus(() => {
      mem.setUint16(ReplyMessage + header.DataLength, reply.length);
      mem.setUint16(ReplyMessage + header.TotalLength, header.size + reply.length);
      mem.setUint16(ReplyMessage + header.Type, LPC_REPLY);
      mem.setUint16(ReplyMessage + header.DataInfoOffset, 0);
      writeClientId(mem, k.arch, ReplyMessage + header.ClientId, k.currentProcess.UniqueProcessId, k.currentThread.Cid);
      mem.setBytes(ReplyMessage + header.size, reply);
    });
    return typeof written === 'number' ? written : STATUS_SUCCESS;
  } finally {
    k.ob.ObDereferenceObject(port);
  }
}

export { LPC_REQUEST };
