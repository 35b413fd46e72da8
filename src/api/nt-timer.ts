/**
 * `nt`'s timers: KeInitializeTimer(Ex), KeSetTimer(Ex), KeCancelTimer,
 * KeReadStateTimer. A timer is a dispatcher object: KeWaitForSingleObject
 * on it returns once it has expired (a notification timer stays signalled
 * until it is set again; a synchronization timer is reset by the wait it
 * satisfies).
 *
 * Two forms, both kept: the WDK's, where the driver gives the KTIMER's
 * storage (`KeInitializeTimerEx(Timer, Type)` with an address in its
 * nonpaged memory; the routines then accept the address), and ntshm's older
 * one, where the driver gives none (`KeInitializeTimer()`,
 * `KeInitializeTimerEx(Type)`) and receives `{ timer }`. A timer of the
 * older form gets its KTIMER from nonpaged pool, owned by the kernel, the
 * first time it is waited on (docs/fidelity.md).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializetimerex
 */
import { GuestMisuse, NtException } from '../include/errors.js';
import { STATUS_INSUFFICIENT_RESOURCES } from '../include/ntstatus.js';
import { DISPATCH_LEVEL, NonPagedPool } from '../include/wdm-constants.js';
import type { Kdpc } from '../kernel/ke/dpc.js';
import { KTimer, NotificationTimer, SynchronizationTimer } from '../kernel/ke/timer.js';
import type { Kernel } from '../kernel/kernel.js';
import { pointerArgument, ulongArgument } from './driver-arguments.js';

/** A KTIMER as a driver passes it: the `timer` KeInitializeTimer returned, or the address of its storage. */
export type TimerArgument = KTimer | number;

/** A LARGE_INTEGER given as a number or a bigint. */
type LargeInteger = number | bigint;

const HIGH = 31;
/** The pool tag of the KTIMERs ntshm supplies ('Timr'). */
const KTIMER_TAG = 0x726d_6954;

type Enter = (name: string, maxIrql: number, violation?: readonly [number, number, number]) => void;

/** The KTIMER's address, its storage allocated now for a timer of the older form (KeInitializeTimer with no argument). */
export function KiTimerStorage(k: Kernel, timer: KTimer): number {
  if (timer.address !== 0) return timer.address;
  const address = k.pool.allocate(NonPagedPool, DISPATCHER_KTIMER_SIZE[k.arch], KTIMER_TAG, true);
  if (address === 0) throw new NtException(STATUS_INSUFFICIENT_RESOURCES);
  k.waits.KeInitializeTimerHeader(address, timer.type === SynchronizationTimer, timer.signaled);
  if (timer.inserted) k.waits.KeWriteTimerDue(address, BigInt(Math.ceil(timer.dueNs / 100)), timer.period);
  timer.address = address;
  k.ke.timersByAddress.set(address, timer);
  return address;
}

/** sizeof(KTIMER), Windows 10. */
const DISPATCHER_KTIMER_SIZE = { x64: 0x40, x86: 0x28 } as const;

/** The routines, for nt.ts. */
export function makeNtTimer(k: Kernel, enter: Enter) {
  const timerAt = (t: TimerArgument, routine: string): KTimer => {
    if (t instanceof KTimer) return t;
    const address = pointerArgument(k.arch, t);
    const timer = k.ke.timersByAddress.get(address);
    if (!timer) throw new GuestMisuse(`${routine} was given ${k.formatAddress(address)}, which KeInitializeTimer(Ex) never initialised as a KTIMER`);
    return timer;
  };
  /** KeInitializeTimerEx's work: a timer at `storage` (an address), or one without storage yet. */
  const initialize = (storage: number | undefined, type: number): { timer: KTimer } => {
    if (type !== NotificationTimer && type !== SynchronizationTimer) throw new GuestMisuse(`KeInitializeTimerEx was given Type ${type}: a TIMER_TYPE is NotificationTimer (0) or SynchronizationTimer (1)`);
    if (storage === undefined) return { timer: new KTimer(type) };
    const address = pointerArgument(k.arch, storage);
    const previous = k.ke.timersByAddress.get(address);
    // Initialising a KTIMER again over one that is set: Windows overwrites its list links, ntshm takes it out first.
    if (previous) k.ke.KeCancelTimer(previous);
    const timer = new KTimer(type);
    k.waits.KeInitializeTimerHeader(address, type === SynchronizationTimer);
    timer.address = address;
    k.ke.timersByAddress.set(address, timer);
    return { timer };
  };
  return {
    /**
     * KeInitializeTimer(Timer): a notification timer at the driver's storage; without an argument, one whose
     * storage ntshm supplies (see above). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializetimer
     */
    KeInitializeTimer(Timer?: number): { timer: KTimer } {
      enter('KeInitializeTimer', DISPATCH_LEVEL);
      return initialize(Timer, NotificationTimer);
    },
    /**
     * KeInitializeTimerEx(Timer, Type), or KeInitializeTimerEx(Type) for a timer whose storage ntshm supplies.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializetimerex
     */
    KeInitializeTimerEx(...args: [Type: number] | [Timer: number, Type: number]): { timer: KTimer } {
      enter('KeInitializeTimerEx', DISPATCH_LEVEL);
      return args.length >= 2 ? initialize(args[0], ulongArgument(k.arch, args[1])) : initialize(undefined, ulongArgument(k.arch, args[0]));
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kesettimer */
    KeSetTimer(Timer: TimerArgument, DueTime: LargeInteger, Dpc: Kdpc | null): boolean {
      enter('KeSetTimer', DISPATCH_LEVEL);
      return k.ke.KeSetTimerEx(timerAt(Timer, 'KeSetTimer'), DueTime, 0, Dpc);
    },
    /** Period in milliseconds (a LONG). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kesettimerex */
    KeSetTimerEx(Timer: TimerArgument, DueTime: LargeInteger, Period: number, Dpc: Kdpc | null): boolean {
      enter('KeSetTimerEx', DISPATCH_LEVEL);
      return k.ke.KeSetTimerEx(timerAt(Timer, 'KeSetTimerEx'), DueTime, Period, Dpc);
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kecanceltimer */
    KeCancelTimer(Timer: TimerArgument): boolean {
      enter('KeCancelTimer', DISPATCH_LEVEL);
      return k.ke.KeCancelTimer(timerAt(Timer, 'KeCancelTimer'));
    },
    /** KeReadStateTimer: TRUE once the timer has expired (its SignalState). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereadstatetimer */
    KeReadStateTimer(Timer: TimerArgument): boolean {
      enter('KeReadStateTimer', HIGH);
      const timer = timerAt(Timer, 'KeReadStateTimer');
      return timer.address !== 0 ? k.waits.readState(timer.address) !== 0 : timer.signaled;
    },
  };
}
