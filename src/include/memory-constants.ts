/**
 * Memory constants shared by the WDK and Win32 sides (winnt.h / wdm.h define
 * them once; so does ntshm): page protections, allocation types, region states
 * and section attributes. Re-exported by wdm-constants.ts and win32-constants.ts.
 */

// Page protections. https://learn.microsoft.com/windows/win32/memory/memory-protection-constants
/** No access at all; any touch faults. */
export const PAGE_NOACCESS = 0x01;
/** Read-only. */
export const PAGE_READONLY = 0x02;
/** Read and write. */
export const PAGE_READWRITE = 0x04;
/** Read, copy-on-write (mapped views only). */
export const PAGE_WRITECOPY = 0x08;
/** Execute only. */
export const PAGE_EXECUTE = 0x10;
/** Execute and read. */
export const PAGE_EXECUTE_READ = 0x20;
/** Execute, read and write. */
export const PAGE_EXECUTE_READWRITE = 0x40;
/** Execute, read, copy-on-write (mapped views only). */
export const PAGE_EXECUTE_WRITECOPY = 0x80;
/** Modifier: one-shot guard page (raises STATUS_GUARD_PAGE_VIOLATION). */
export const PAGE_GUARD = 0x100;
/** Modifier: non-cached. */
export const PAGE_NOCACHE = 0x200;
/** Modifier: write-combined. */
export const PAGE_WRITECOMBINE = 0x400;
/** CFG: all locations are invalid call targets (VirtualAlloc). */
export const PAGE_TARGETS_INVALID = 0x40000000;
/** CFG: keep call-target information on VirtualProtect (same bit as PAGE_TARGETS_INVALID). */
export const PAGE_TARGETS_NO_UPDATE = 0x40000000;

// Allocation and free types. https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-virtualalloc
// and https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-virtualfree
/** Commit pages (charge commit, demand-zero on first touch). */
export const MEM_COMMIT = 0x00001000;
/** Reserve address space. */
export const MEM_RESERVE = 0x00002000;
/** Undo a MEM_RESET (same bit as MEM_IMAGE). */
export const MEM_RESET_UNDO = 0x01000000;
/** Decommit pages (VirtualFree). */
export const MEM_DECOMMIT = 0x00004000;
/** Release the whole reservation (VirtualFree). */
export const MEM_RELEASE = 0x00008000;
/** Contents no longer of interest; may be discarded. */
export const MEM_RESET = 0x00080000;
/** Allocate at the highest possible address. */
export const MEM_TOP_DOWN = 0x00100000;
/** Track writes (GetWriteWatch). */
export const MEM_WRITE_WATCH = 0x00200000;
/** AWE physical pages. */
export const MEM_PHYSICAL = 0x00400000;
/** Large pages. */
export const MEM_LARGE_PAGES = 0x20000000;

// Region state and type, as MEMORY_BASIC_INFORMATION reports them.
// https://learn.microsoft.com/windows/win32/api/winnt/ns-winnt-memory_basic_information
/** State: free address space. */
export const MEM_FREE = 0x00010000;
/** Type: private memory. */
export const MEM_PRIVATE = 0x00020000;
/** Type: a mapped view of a data section. */
export const MEM_MAPPED = 0x00040000;
/** Type: a mapped view of an image section. */
export const MEM_IMAGE = 0x01000000;

// Section attributes (CreateFileMapping flProtect, ZwCreateSection AllocationAttributes).
// https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-createfilemappinga
/** Based section: mapped at the same address in every process. */
export const SEC_BASED = 0x00200000;
/** The view's protection may not be changed. */
export const SEC_NO_CHANGE = 0x00400000;
/** Data file section. */
export const SEC_FILE = 0x00800000;
/** Executable image section. */
export const SEC_IMAGE = 0x01000000;
/** Image section that is never executed. */
export const SEC_IMAGE_NO_EXECUTE = 0x11000000;
/** Pagefile-backed: reserve only when mapped. */
export const SEC_RESERVE = 0x04000000;
/** Pagefile-backed: commit the whole view when mapped (the default). */
export const SEC_COMMIT = 0x08000000;
/** Non-cached pages. */
export const SEC_NOCACHE = 0x10000000;
/** Write-combined pages. */
export const SEC_WRITECOMBINE = 0x40000000;
/** Large pages (requires SEC_COMMIT). */
export const SEC_LARGE_PAGES = 0x80000000;
