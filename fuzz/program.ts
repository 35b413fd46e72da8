/**
 * A generated program: it makes its script's calls one after another, each
 * inside try/catch as a C program would have __try/__except around it (an
 * access violation is its own business), and keeps what it learns (its
 * regions, its handles, the driver's mappings of it) to aim the next call.
 *
 * What may come out of a call: an NtException (a raised status, an access
 * violation), the GuestThrow of its own hostile value, MachineHalted once the
 * machine has stopped. Anything else is the host's error leaking into the
 * guest, a failure of the campaign.
 */
import { GENERIC_READ, GENERIC_WRITE, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, KEY_ALL_ACCESS, MEM_RELEASE, REG_BINARY, type K32 } from '../src/api/win32.js';
import { MachineHalted, NtException, ProcessExit } from '../src/include/errors.js';
import type { AddressLayout } from '../src/kernel/mm/layout.js';
import { IOCTL_GIVE_ME_YOUR_MEMORY, SERVICE_NAME as SAMPLE_SERVICE } from '../samples/sharing-memory/ioctl.js';
import type { HandleChoice, HostileRoutine, LengthChoice, PointerChoice, ProgramAction, ProgramScript } from './actions.js';
import { FUZZ_IOCTL, FUZZ_PATH, type Resolver } from './driver.js';
import { GuestThrow, hostileThrowable, hostileValue } from './hostile.js';

export const SAMPLE_PATH = `\\\\.\\${SAMPLE_SERVICE}`;
const OPEN_EXISTING = 3;
const PAGE = 4096;

/** What the program knows of its own state. */
export class ProgramState {
  pid = 0;
  readonly regions: { base: number; size: number }[] = [];
  readonly freed: { base: number; size: number }[] = [];
  readonly handles: { value: number; kind: 'fuzz' | 'sample' | 'key'; mapped: number }[] = [];
  readonly closed: number[] = [];
  readonly heapBlocks: number[] = [];
  /** Section handles and views this program made. */
  readonly sections: number[] = [];
  readonly views: number[] = [];
  /** The scratch page the run IOCTL's input (the call's id) is written to. */
  scratch = 0;
}

/** What the program needs of the world around it. */
export interface ProgramHost {
  readonly layout: AddressLayout;
  readonly arch: 'x64' | 'x86';
  /** Other programs' states (for foreign handles and pointers). */
  others(self: ProgramState): readonly ProgramState[];
  /** User mappings the fuzz driver made in this process. */
  driverMappings(pid: number): readonly { va: number; size: number }[];
  /** Queues driver actions; returns the id the run IOCTL carries. */
  queueCall(action: ProgramAction & { k: 'driver' }, resolve: Resolver): number;
  /** One call made: counts it and checks the invariants when due; false once the scenario has failed. */
  afterCall(): boolean;
  setInFlight(what: string | undefined): void;
  hostError(where: string, error: unknown): void;
  readonly stopped: boolean;
}

const pickOf = <T>(list: readonly T[], n: number): T | undefined => (list.length === 0 ? undefined : list[Math.abs(n) % list.length]);

/** The value a program passes for a choice, against its state now. */
export function resolverFor(host: ProgramHost, s: ProgramState): Resolver {
  const l = host.layout;
  const inRegion = (list: readonly { base: number; size: number }[], n: number, offset: number): number => {
    const r = pickOf(list, n);
    return r ? r.base + offset : 0;
  };
  return {
    pointer(p: PointerChoice): unknown {
      switch (p.at) {
        case 'region': return inRegion(s.regions, p.pick, p.offset);
        case 'freed': return inRegion(s.freed, p.pick, p.offset);
        case 'mapped': {
          const mine = [...host.driverMappings(s.pid), ...s.handles.filter((h) => h.mapped !== 0).map((h) => ({ va: h.mapped, size: PAGE }))];
          const m = pickOf(mine, p.pick);
          return m ? m.va + p.offset : 0;
        }
        case 'foreign': return inRegion(host.others(s).flatMap((o) => o.regions), p.pick, p.offset);
        case 'kernel':
          switch (p.which) {
            case 'pool': return l.nonPagedPool.base + PAGE;
            case 'shared': return l.kernelSharedData;
            case 'systemStart': return l.systemRangeStart;
            case 'top': return host.arch === 'x64' ? 2 ** 48 - PAGE : 0xffff_f000;
            case 'pageTables': return l.systemPtes.base;
          }
          return 0;
        case 'value': return p.value;
        case 'hostile': return hostileValue(p.value);
      }
    },
    length: (c: LengthChoice): unknown => (typeof c === 'number' ? c : hostileValue(c.hostile)),
    handle(h: HandleChoice): unknown {
      switch (h.h) {
        case 'open': return pickOf(h.kind === 'any' ? s.handles : s.handles.filter((x) => x.kind === h.kind), h.pick)?.value ?? 0;
        case 'closed': return pickOf(s.closed, h.pick) ?? 0x7ffc;
        case 'foreign': return pickOf(host.others(s).flatMap((o) => o.handles.map((x) => x.value)), h.pick) ?? 0x7ff8;
        case 'value': return h.value;
        case 'hostile': return hostileValue(h.value);
      }
    },
  };
}

/** Runs one program's script; returns the exit code its end asks for. */
export async function runScript(k32: K32, host: ProgramHost, s: ProgramState, script: ProgramScript): Promise<number> {
  s.pid = k32.GetCurrentProcessId();
  const resolve = resolverFor(host, s);
  for (const action of script.actions) {
    const times = action.n ?? 1;
    for (let i = 0; i < times; i++) {
      if (host.stopped) return 0;
      host.setInFlight(`program ${action.k}`);
      try {
        const pending = perform(k32, host, s, resolve, action);
        if (pending) await pending;
      } catch (e) {
        if (!(e instanceof NtException) && !(e instanceof GuestThrow)) {
          if (e instanceof ProcessExit || e instanceof MachineHalted) throw e;
          host.hostError(`program ${action.k} ${JSON.stringify(action)}`, e);
        }
      }
      host.setInFlight(undefined);
      if (!host.afterCall()) return 0;
    }
  }
  const end = script.end;
  if (end.how === 'ExitProcess') k32.ExitProcess(end.code);
  if (end.how === 'throw') throw hostileThrowable(end.value, { ntException: () => new NtException(0xc0000005, [0, 0]) });
  return end.code;
}


/** One call; a promise when the call blocks. */
function perform(k32: K32, host: ProgramHost, s: ProgramState, r: Resolver, a: ProgramAction): Promise<unknown> | undefined {
  const P = (p: PointerChoice) => r.pointer(p) as number;
  const L = (l: LengthChoice) => r.length(l) as number;
  const H = (h: HandleChoice) => r.handle(h) as number;
  switch (a.k) {
    case 'open': {
      const path = a.target === 'fuzz' ? FUZZ_PATH : a.target === 'sample' ? SAMPLE_PATH : a.name;
      const h = k32.CreateFileW(path, a.access, 0, null, a.disposition, 0, null);
      if (h !== -1 && a.target !== 'bogus') s.handles.push({ value: h, kind: a.target, mapped: 0 });
      return undefined;
    }
    case 'close': {
      const h = H(a.handle);
      if (k32.CloseHandle(h)) forget(s, h);
      return undefined;
    }
    case 'ioctl': {
      const code = a.code === 'sample' ? IOCTL_GIVE_ME_YOUR_MEMORY : FUZZ_IOCTL[a.code];
      const handle = H(a.handle);
      // The sample leaks a page per request on one handle (as the article's driver does): at most one each.
      if (a.code === 'sample' && s.handles.some((x) => x.value === handle && x.kind === 'sample')) return undefined;
      return k32.DeviceIoControl(handle, code, P(a.input), L(a.inputLength), P(a.output), L(a.outputLength));
    }
    case 'driver': {
      let device = s.handles.find((x) => x.kind === 'fuzz');
      if (!device) {
        const h = k32.CreateFileW(FUZZ_PATH, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
        if (h === -1) return undefined;
        device = { value: h, kind: 'fuzz', mapped: 0 };
        s.handles.push(device);
      }
      if (s.scratch === 0) s.scratch = k32.VirtualAlloc(0, PAGE, 0x3000, 4);
      if (s.scratch === 0) return undefined;
      k32.setUint32(s.scratch, host.queueCall(a, r));
      return k32.DeviceIoControl(device.value, FUZZ_IOCTL.run, s.scratch, 4, 0, 0);
    }
    case 'valloc': {
      const size = L(a.size);
      const base = k32.VirtualAlloc(P(a.address), size, a.type, a.protect);
      if (base !== 0) s.regions.push({ base, size: Math.max(PAGE, Math.ceil(Number(size) / PAGE) * PAGE) });
      return undefined;
    }
    case 'vfree': {
      const address = P(a.address);
      if (k32.VirtualFree(address, L(a.size), a.type) && a.type === MEM_RELEASE) released(s, address);
      return undefined;
    }
    case 'vquery':
      k32.VirtualQuery(P(a.address));
      return undefined;
    case 'vprotect':
      k32.VirtualProtect(P(a.address), L(a.size), a.protect);
      return undefined;
    case 'native-alloc': {
      const process = H(a.process);
      const out = k32.NtAllocateVirtualMemory(process, P(a.address), a.zeroBits, L(a.size), a.type, a.protect);
      if (out.status === 0 && process === -1) s.regions.push({ base: out.baseAddress, size: out.regionSize });
      return undefined;
    }
    case 'native-free': {
      const process = H(a.process);
      const address = P(a.address);
      const out = k32.NtFreeVirtualMemory(process, address, L(a.size), a.type);
      if (out.status === 0 && process === -1 && a.type === MEM_RELEASE) released(s, out.baseAddress);
      return undefined;
    }
    case 'native-query':
      k32.NtQueryVirtualMemory(H(a.process), P(a.address), a.infoClass, L(a.length));
      return undefined;
    case 'read': {
      const va = P(a.address);
      if (a.width === 1) k32.getUint8(va);
      else if (a.width === 2) k32.getUint16(va);
      else if (a.width === 4) k32.getUint32(va);
      else if (a.width === 8) k32.getBigUint64(va);
      else k32.getBytes(va, a.length);
      return undefined;
    }
    case 'write': {
      const va = P(a.address);
      if (a.width === 1) k32.setUint8(va, a.value);
      else if (a.width === 2) k32.setUint16(va, a.value);
      else if (a.width === 4) k32.setUint32(va, a.value);
      else if (a.width === 8) k32.setBigUint64(va, BigInt(a.value >>> 0));
      else k32.setBytes(va, new Uint8Array(a.length).fill(a.value & 0xff));
      return undefined;
    }
    case 'sleep':
      return k32.Sleep(a.ms);
    case 'write-file':
      k32.WriteFile(H(a.handle), P(a.buffer), L(a.length));
      return undefined;
    case 'registry':
      registry(k32, s, r, a);
      return undefined;
    case 'heap': {
      const heap = k32.GetProcessHeap();
      if (a.op === 'alloc') {
        const p = k32.HeapAlloc(heap, 0, L(a.size));
        if (p !== 0) s.heapBlocks.push(p);
      } else {
        const p = pickOf(s.heapBlocks, a.pick);
        if (p !== undefined && k32.HeapFree(heap, 0, p)) s.heapBlocks.splice(s.heapBlocks.indexOf(p), 1);
      }
      return undefined;
    }
    case 'sample-map':
      return sampleMap(k32, s, P(a.output), L(a.outputLength));
    case 'section':
      sectionCall(k32, s, a, P(a.address), L(a.size));
      return undefined;
    case 'hostile-call':
      return hostileCall(k32, a.routine, a.argument, hostileValue(a.value));
  }
}

/** IOCTL_GIVE_ME_YOUR_MEMORY on the program's sample handle (opened if it has none): the page's user address comes back. */
async function sampleMap(k32: K32, s: ProgramState, output: number, outputLength: number): Promise<void> {
  let device = s.handles.find((x) => x.kind === 'sample');
  if (!device) {
    const h = k32.CreateFileW(SAMPLE_PATH, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
    if (h === -1) return;
    device = { value: h, kind: 'sample', mapped: 0 };
    s.handles.push(device);
  }
  if (device.mapped !== 0) return;
  const { ok, bytesReturned } = await k32.DeviceIoControl(device.value, IOCTL_GIVE_ME_YOUR_MEMORY, 0, 0, output, outputLength);
  device.mapped = -1; // asked once: the sample keeps one page per open
  if (ok && bytesReturned === k32.sizeofPointer) device.mapped = k32.getPointer(output);
}

function registry(k32: K32, s: ProgramState, r: Resolver, a: ProgramAction & { k: 'registry' }): void {
  const key = a.key === 'HKLM' ? HKEY_LOCAL_MACHINE : a.key === 'HKCU' ? HKEY_CURRENT_USER : (r.handle(a.key) as number);
  const remember = (h: number) => { if (h !== 0) s.handles.push({ value: h, kind: 'key', mapped: 0 }); };
  switch (a.op) {
    case 'create': remember(k32.RegCreateKeyExW(key, a.name, 0, null, 0, KEY_ALL_ACCESS, null).hkResult); return;
    case 'open': remember(k32.RegOpenKeyExW(key, a.name, 0, KEY_ALL_ACCESS).hkResult); return;
    case 'set': k32.RegSetValueExW(key, a.name, 0, REG_BINARY, r.pointer(a.data) as number, r.length(a.length) as number); return;
    case 'query': k32.RegQueryValueExW(key, a.name, null, r.pointer(a.data) as number, r.length(a.length) as number); return;
    case 'delete-value': k32.RegDeleteValueW(key, a.name); return;
    case 'delete-key': k32.RegDeleteKeyW(key, a.name); return;
    case 'enum': k32.RegEnumKeyExW(key, r.length(a.length) as number, 256); return;
    case 'close': if (k32.RegCloseKey(key) === 0) forget(s, key); return;
  }
}

/** A file-mapping call: create or open a named section, map, unmap or flush a view, close a handle. */
function sectionCall(k32: K32, s: ProgramState, a: ProgramAction & { k: 'section' }, address: unknown, size: unknown): void {
  const name = a.name === '' ? null : a.name;
  const handle = pickOf(s.sections, a.pick);
  switch (a.op) {
    case 'create': {
      const h = k32.CreateFileMappingW(-1, null, a.protect, 0, size as number, name);
      if (h !== 0) s.sections.push(h);
      return;
    }
    case 'open': {
      const h = k32.OpenFileMappingW(a.access, false, name ?? 'Shared');
      if (h !== 0) s.sections.push(h);
      return;
    }
    case 'map': {
      if (handle === undefined) return;
      const view = k32.MapViewOfFileEx(handle, a.access, 0, a.offset, size as number, a.pick % 2 === 0 ? null : address as number);
      if (view !== 0) s.views.push(view);
      return;
    }
    case 'unmap': {
      const view = pickOf(s.views, a.pick) ?? (address as number);
      if (k32.UnmapViewOfFile(view)) s.views.splice(s.views.indexOf(view), 1);
      return;
    }
    case 'flush':
      k32.FlushViewOfFile(pickOf(s.views, a.pick) ?? (address as number), size as number);
      return;
    case 'close':
      if (handle !== undefined && k32.CloseHandle(handle)) s.sections.splice(s.sections.indexOf(handle), 1);
  }
}

/** A k32 routine with one hostile argument, the others ordinary. */
function hostileCall(k32: K32, routine: HostileRoutine, argument: number, value: unknown): Promise<unknown> | undefined {
  const calls: Record<HostileRoutine, unknown[]> = {
    CloseHandle: [0x7ffc],
    VirtualAlloc: [0, PAGE, 0x3000, 4],
    VirtualFree: [0x10000, 0, MEM_RELEASE],
    VirtualQuery: [0x10000],
    VirtualProtect: [0x10000, PAGE, 4],
    CreateFileW: [FUZZ_PATH, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null],
    DeviceIoControl: [0x7ffc, FUZZ_IOCTL['echo-buffered'], 0, 0, 0, 0],
    Sleep: [0],
    NtAllocateVirtualMemory: [-1, 0, 0, PAGE, 0x3000, 4],
    NtClose: [0x7ffc],
    NtQueryVirtualMemory: [-1, 0x10000, 0, 48],
    getUint32: [0x10000],
    setUint32: [0x10000, 1],
    getBytes: [0x10000, 16],
    setBytes: [0x10000, [1, 2, 3]],
    RegOpenKeyExW: [HKEY_LOCAL_MACHINE, 'SOFTWARE', 0, KEY_ALL_ACCESS],
    WriteFile: [4, 0x10000, 16, null],
    SetLastError: [5],
    GetStdHandle: [-11],
    HeapAlloc: [0, 0, 16],
    CreateFileMappingW: [-1, null, 4, 0, PAGE, 'Hostile'],
    OpenFileMappingW: [4, false, 'Hostile'],
    MapViewOfFile: [0x7ffc, 4, 0, 0, 0],
    UnmapViewOfFile: [0x10000],
    NtMapViewOfSection: [0x7ffc, -1, 0, 0, 0, null, 0, 1, 0, 4],
  };
  const args = [...calls[routine]];
  args[argument % args.length] = value;
  const fn = k32[routine] as (...a: unknown[]) => unknown;
  const result = fn(...args);
  // A handle the call opened is not tracked: the process's exit closes it.
  return result instanceof Promise ? result : undefined;
}

function forget(s: ProgramState, h: number): void {
  const i = s.handles.findIndex((x) => x.value === h);
  if (i >= 0) s.handles.splice(i, 1);
  s.closed.push(h);
}

function released(s: ProgramState, base: number): void {
  const i = s.regions.findIndex((x) => x.base === base);
  if (i >= 0) s.freed.push(...s.regions.splice(i, 1));
}
