/**
 * Driver Verifier's options for boot(): `verifier: true` is the standard
 * settings (verifier /standard); an object turns on what it names. The
 * automatic checks run whenever any option is on. include/verifier-flags.ts
 * maps each to its flag and rule class.
 */
export interface VerifierOptions {
  /** Every standard option. */
  readonly standard?: boolean;
  /** Special pool (0x1): each allocation on its own page against a guard page. */
  readonly specialPool?: boolean;
  /** Force IRQL checking (0x2): pageable pool trimmed at every raise to DISPATCH_LEVEL. */
  readonly forceIrqlChecking?: boolean;
  /** Randomized low resources simulation (0x4): allocations fail at random, from the machine's seed. */
  readonly lowResourcesSimulation?: boolean;
  /** Pool tracking (0x8): pool left at unload (0xC4/0x62), locked pages left at exit (0xCB). */
  readonly poolTracking?: boolean;
  /** I/O verification (0x10): IRP handling (0xC9). */
  readonly ioVerification?: boolean;
  /** Deadlock detection (0x20). */
  readonly deadlockDetection?: boolean;
  /** DMA checking (0x80). */
  readonly dmaChecking?: boolean;
  /** Security checks (0x100). */
  readonly securityChecks?: boolean;
  /** Miscellaneous checks (0x800). */
  readonly miscellaneousChecks?: boolean;
  /** DDI compliance checking (0x20000). */
  readonly ddiComplianceChecking?: boolean;
  /** Systematic low resources simulation (0x40000): each allocating call stack fails once. */
  readonly systematicLowResourcesSimulation?: boolean;
  readonly [option: string]: boolean | undefined;
}
