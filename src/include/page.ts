/**
 * Page geometry (x86 and x64 alike) and the WDK's page macros, defined once.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-address_and_size_to_span_pages
 */

/** log2(PAGE_SIZE). */
export const PAGE_SHIFT = 12;
/** Bytes per page. */
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** The offset-within-page bits. */
export const PAGE_MASK = PAGE_SIZE - 1;

/** PAGE_ALIGN: the start of the page holding `va`. */
export const PAGE_ALIGN = (va: number): number => va - (va % PAGE_SIZE);
/** BYTE_OFFSET: `va`'s offset within its page. */
export const BYTE_OFFSET = (va: number): number => va % PAGE_SIZE;
/** BYTES_TO_PAGES: pages needed to hold `size` bytes. */
export const BYTES_TO_PAGES = (size: number): number => Math.ceil(size / PAGE_SIZE);
/** ROUND_TO_PAGES: `size` rounded up to a whole number of pages. */
export const ROUND_TO_PAGES = (size: number): number => BYTES_TO_PAGES(size) * PAGE_SIZE;
/** ADDRESS_AND_SIZE_TO_SPAN_PAGES: pages touched by [va, va + size). */
export const ADDRESS_AND_SIZE_TO_SPAN_PAGES = (va: number, size: number): number =>
  Math.floor((BYTE_OFFSET(va) + size + PAGE_MASK) / PAGE_SIZE);
