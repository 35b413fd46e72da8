/**
 * Windows page protections (PAGE_*) and what they become in a PTE.
 */
import {
  PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY, PAGE_GUARD, PAGE_NOACCESS, PAGE_NOCACHE,
  PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOMBINE, PAGE_WRITECOPY,
} from '../../include/memory-constants.js';
import type { PteAttributes } from './page-tables.js';

const BASE_PROTECTIONS = [
  PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
];

/** True for exactly one base protection plus allowed modifiers (MiMakeProtectionMask succeeds). */
export function isValidProtection(protect: number): boolean {
  const base = protect & 0xff;
  const modifiers = protect & ~0xff;
  if (!BASE_PROTECTIONS.includes(base)) return false;
  if ((modifiers & ~(PAGE_GUARD | PAGE_NOCACHE | PAGE_WRITECOMBINE)) !== 0) return false;
  return !(base === PAGE_NOACCESS && modifiers !== 0);
}

/** PTE attributes for a protection; undefined for PAGE_NOACCESS (the PTE stays invalid). */
export function attributesFor(protect: number, user: boolean): PteAttributes | undefined {
  const base = protect & 0xff;
  if (base === PAGE_NOACCESS) return undefined;
  const writable = base === PAGE_READWRITE || base === PAGE_EXECUTE_READWRITE;
  const executable = base === PAGE_EXECUTE || base === PAGE_EXECUTE_READ || base === PAGE_EXECUTE_READWRITE || base === PAGE_EXECUTE_WRITECOPY;
  return { writable, executable, user, noCache: (protect & PAGE_NOCACHE) !== 0 };
}

/** Whether a protection allows an access (0 read, 1 write, 8 execute). */
export function permits(protect: number, access: number): boolean {
  const a = attributesFor(protect, true);
  if (!a) return false;
  if (access === 1) return a.writable;
  if (access === 8) return a.executable;
  return true;
}
