/**
 * The I/O timer: IoInitializeTimer, IoStartTimer, IoStopTimer. One periodic
 * KTIMER of the I/O manager fires once a virtual second; its DPC calls every
 * started device timer routine at DISPATCH_LEVEL, on whatever CPU took the
 * clock interrupt, in the context of whatever thread that CPU was running.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioinitializetimer
 */
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS } from '../../include/ntstatus.js';
import { IRQL_NOT_LESS_OR_EQUAL } from '../../include/bugcodes.js';
import { DISPATCH_LEVEL } from '../../include/wdm-constants.js';
import { KiRoutineAddress } from '../ke/nt-image.js';
import type { IoContext } from './context.js';
import { Kdpc } from '../ke/dpc.js';
import { KTimer } from '../ke/timer.js';
import { NonPagedPool } from '../mm/pool.js';
import { callDriverRoutine } from './driver-load.js';
import type { DeviceObject, IoTimer, IoTimerRoutine } from './objects.js';

/** sizeof(IO_TIMER). */
const ioTimerSize = (arch: 'x64' | 'x86') => (arch === 'x64' ? 0x30 : 0x18);
/** FIELD_OFFSET(IO_TIMER, TimerFlag): after the CSHORT Type, on both architectures. */
const IO_TIMER_TIMER_FLAG = 2;

/** The devices' I/O timers (IoInitializeTimer, IoStartTimer, IoStopTimer), driven by one periodic KTIMER. */
export class IoTimerQueue {
  /** Devices with an IO_TIMER, in order of IoInitializeTimer. */
  private readonly devices: DeviceObject[] = [];
  readonly timer = new KTimer();

  constructor(private readonly k: IoContext) {
    const dpc = new Kdpc(() => this.IopTimerDispatch(), null, 'nt!IopTimerDispatch');
    // With no device timer started, IopTimerDispatch calls nothing.
    this.timer.inert = () => !this.devices.some((d) => d.Timer?.TimerFlag);
    k.ke.KeSetTimerEx(this.timer, -10_000_000n, 1000, dpc);
  }

  IoInitializeTimer(device: DeviceObject, routine: IoTimerRoutine, context: unknown): number {
    if (device.Timer) {
      device.Timer.TimerRoutine = routine;
      device.Timer.Context = context;
      return STATUS_SUCCESS;
    }
    const address = this.k.pool.allocate(NonPagedPool, ioTimerSize(this.k.arch), 0x6d695449); // 'ITim'
    if (address === 0) return STATUS_INSUFFICIENT_RESOURCES;
    const timer: IoTimer = { address, TimerRoutine: routine, Context: context, TimerFlag: false };
    device.Timer = timer;
    this.devices.push(device);
    return STATUS_SUCCESS;
  }

  IoStartTimer(device: DeviceObject): void {
    const timer = device.Timer ?? this.IopNoTimer('IoStartTimer');
    timer.TimerFlag = true;
  }

  IoStopTimer(device: DeviceObject): void {
    const timer = device.Timer ?? this.IopNoTimer('IoStopTimer');
    timer.TimerFlag = false;
  }

  /**
   * IoStartTimer and IoStopTimer on a device that never had IoInitializeTimer: both read
   * DeviceObject->Timer (NULL), take IopTimerLock (DISPATCH_LEVEL) and then read
   * Timer->TimerFlag, at address 2. A page fault at DISPATCH_LEVEL with the faulting code in
   * ntoskrnl is 0x0A IRQL_NOT_LESS_OR_EQUAL (0xD1 names a driver's code): P1 the address,
   * P2 the IRQL, P3 0 for a read, P4 the instruction in nt.
   * https://github.com/reactos/reactos/blob/master/ntoskrnl/io/iomgr/iotimer.c (IoStartTimer, IoStopTimer)
   * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xa--irql-not-less-or-equal
   */
  private IopNoTimer(routine: 'IoStartTimer' | 'IoStopTimer'): never {
    const k = this.k;
    if (k.irql < DISPATCH_LEVEL) k.ke.KeRaiseIrql(DISPATCH_LEVEL);
    return k.bugCheck(IRQL_NOT_LESS_OR_EQUAL, IO_TIMER_TIMER_FLAG, DISPATCH_LEVEL, 0, KiRoutineAddress(k.arch, routine),
      `${routine} was called on a device without an I/O timer (IoInitializeTimer was never called for it): DeviceObject->Timer is NULL, ` +
      `and ${routine} read Timer->TimerFlag at ${k.formatAddress(IO_TIMER_TIMER_FLAG)} holding IopTimerLock, at DISPATCH_LEVEL.`);
  }

  /** IoDeleteDevice frees the device's IO_TIMER. */
  remove(device: DeviceObject): void {
    const timer = device.Timer;
    if (!timer) return;
    this.devices.splice(this.devices.indexOf(device), 1);
    device.Timer = null;
    this.k.pool.free(timer.address);
  }

  /** The once-a-second DPC. */
  private IopTimerDispatch(): void {
    for (const device of [...this.devices]) {
      const t = device.Timer;
      if (!t || !t.TimerFlag) continue;
      callDriverRoutine(this.k, device.DriverObject, t.TimerRoutine, 'IoTimer', 'dpc', () => t.TimerRoutine(device, t.Context));
    }
  }
}
