/**
 * What guest operations cost in virtual time. Only their order of magnitude
 * matters: they decide where an interrupt from another CPU can fall between
 * two operations of a running thread.
 */
export const COST_MEMORY_ACCESS_NS = 2;
export const COST_KERNEL_ROUTINE_NS = 50;
export const COST_SYSTEM_CALL_NS = 400;
/** The PAUSE instruction (YieldProcessor): about 140 cycles on current x86 cores. */
export const COST_PAUSE_NS = 40;
/** An RPC to the service control manager (services.exe). */
export const COST_SCM_CALL_NS = 2000;
/** Sleep(0): giving up the rest of the quantum. */
export const COST_YIELD_NS = 100;
/** How late a DPC queued to another, busy-elsewhere CPU starts: up to this, drawn from the seed. */
export const DPC_CROSS_CPU_LATENCY_NS = 3000;
/** The clock interrupt period: KeMaximumIncrement, 15.625 ms (156250 × 100 ns). */
export const CLOCK_TICK_100NS = 156_250;
export const CLOCK_TICK_NS = CLOCK_TICK_100NS * 100;
