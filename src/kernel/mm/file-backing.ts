/**
 * What Mm needs of a file to back a section with it: the file system's side
 * of a data section (on Windows, the file object's SECTION_OBJECT_POINTERS
 * and the paging reads and writes the file system serves for Mm). The file
 * system (io/fs) implements it for each file it opens; mm only calls it, so
 * the arrow points down.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_section_object_pointers
 */

/** One file, as Mm sees it when it maps it. */
export interface MmFileBacking {
  /** The file's name on its volume (`\Users\a.txt`), for reports. */
  readonly fileName: string;
  /** The file's size in bytes (FILE_STANDARD_INFORMATION.EndOfFile). */
  readonly endOfFile: number;
  /** Reads file bytes [offset, offset + into.length) into `into`; bytes past the end of the file read as zero. */
  readPage(offset: number, into: Uint8Array): void;
  /** Writes `bytes` at `offset` (a page written back by Mm; never past endOfFile, Mm trims the last page). */
  writePage(offset: number, bytes: Uint8Array): void;
  /** Grows (or shrinks) the file: a writable section larger than its file extends it (NtCreateSection, NtExtendSection). */
  setEndOfFile(size: number): void;
  /** Makes every write so far durable, whole or not at all (FlushViewOfFile, the last view's unmapping). */
  flush(): void;
  /**
   * SECTION_OBJECT_POINTERS.DataSectionObject: the segment every data
   * section of this file shares, kept here by Mm (undefined until the first
   * section, cleared when the segment goes). The file system never reads it.
   */
  dataSegment: unknown;
}
