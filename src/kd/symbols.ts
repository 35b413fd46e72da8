/**
 * Addresses as kd names them from symbols: a driver routine's address is
 * `Driver!Routine` (`+0xOFF` inside it), any other address in a driver's
 * image `Driver+0xOFF`, an nt routine's `nt!Routine`. ntshm's drivers have no
 * symbol files; the routine names are the names the driver's functions have.
 */
import { NT_ROUTINES, KiRoutineAddress, ntImageBase } from '../kernel/ke/nt-image.js';
import type { KdSnapshot } from './snapshot.js';
import { hex } from './format.js';

/** The span of nt's image that stands for its code and object types (nt-image.ts lays them out within it). */
const NT_IMAGE_SPAN = 0x20000;
/** How far past a routine's address kd still names it `Routine+0xOFF` (driver-load.ts gives each routine 0x80 bytes). */
const ROUTINE_SPAN = 0x80;

/** `Driver!Routine`, `Driver!Routine+0x10`, `Driver+0x2000`, `nt!KeWaitForSingleObject`; null for an address no image holds. */
export function symbolFor(s: KdSnapshot, value: number): string | null {
  const off = (base: number): string => (value === base ? '' : `+0x${hex(value - base)}`);
  for (const name of NT_ROUTINES) {
    const a = KiRoutineAddress(s.arch, name);
    if (value >= a && value < a + 0x40) return `nt!${name}${off(a)}`;
  }
  const nt = ntImageBase(s.arch);
  if (value >= nt && value < nt + NT_IMAGE_SPAN) return `nt${off(nt)}`;
  for (const d of s.drivers) {
    if (value < d.start || value >= d.start + d.size) continue;
    const r = d.routines?.find((x) => value >= x.address && value < x.address + ROUTINE_SPAN);
    if (r) return `${r.name}${off(r.address)}`;
    return `${d.service}${off(d.start)}`;
  }
  return null;
}
