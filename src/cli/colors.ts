/**
 * Terminal colours: picocolors, switched on only when stdout is a terminal,
 * so that pipes and tests get plain text.
 */
import pc from 'picocolors';

/** The colour functions the reports use (all identity when colour is off). */
export type Colors = ReturnType<typeof pc.createColors>;

/** Colour functions, on or off. */
export function makeColors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}
