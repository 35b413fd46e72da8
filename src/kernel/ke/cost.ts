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
/**
 * The quantum: how long a thread runs before another ready thread of its
 * priority gets the CPU. NT counts it in units of a third of a clock tick
 * (CLOCK_QUANTUM_DECREMENT = 3 per tick); a thread starts with
 * THREAD_QUANTUM = READY_SKIP_QUANTUM (2) × 3 = 6 units, which is also a
 * client Windows' short variable quantum for a background process
 * (ReactOS ntoskrnl/ps/process.c, PspVariableQuantums[0] = 1 × 6): 2 ticks,
 * 31.25 ms. ntshm has no foreground boost, so every program gets this one.
 */
export const THREAD_QUANTUM_TICKS = 2;
export const THREAD_QUANTUM_NS = THREAD_QUANTUM_TICKS * CLOCK_TICK_NS;
/**
 * How long a program thread may run without a system call before ntshm ends
 * its process: JS cannot suspend a loop that only touches memory, so such a
 * thread would keep the CPU for ever. 2 virtual seconds (1e9 memory accesses:
 * 1.1 to 3.5 s of host time on a 2020s x64 core, depending on the loop) is far
 * beyond any honest busy-wait, and short enough that such a test ends quickly.
 */
export const SPIN_LIMIT_NS = 2e9;
