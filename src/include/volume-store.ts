/**
 * Where the bytes of the emulated volume C: live: the store a machine is
 * booted with (boot's `volume` option). The file system (kernel/io/fs)
 * reads a file whole when it is first opened and writes it whole when the
 * guest flushes it; between the two the file's contents are the file
 * system's, in memory. So a store only ever sees whole files, and a store
 * that writes atomically (the host folder: a temporary file renamed over
 * the old one) never leaves a file half-written, whatever stops the machine.
 *
 * Two implementations: MemoryVolumeStore (kernel/io/fs/memory-store.ts,
 * the default where there is no disk) and HostFolderStore (src/host,
 * Node only, a folder on the host).
 *
 * A path is the list of its components from the volume's root, each a name
 * the file system has already checked (no separators, no `.` or `..`, no
 * character Windows forbids in a name), spelled as the store lists it.
 * A store reports a failure of its own (a host error) by throwing an
 * NtException with the NTSTATUS the guest sees.
 */

/** What an entry of a directory is; `other` (a host symbolic link, a device) cannot be opened. */
export type VolumeEntryKind = 'file' | 'directory' | 'other';

/** One entry of a directory: its name as created (case kept) and its kind. */
export interface VolumeEntry {
  readonly name: string;
  readonly kind: VolumeEntryKind;
}

/** The storage of a volume: whole files and directories by volume-relative path. */
export interface VolumeStore {
  /** The entries of a directory (`[]` is the root); undefined if there is no such directory. */
  list(directory: readonly string[]): readonly VolumeEntry[] | undefined;
  /** A file's whole contents. */
  read(file: readonly string[]): Uint8Array;
  /** Creates or replaces a file with `bytes`, atomically: the store then holds the old bytes or the new, never a mix. */
  write(file: readonly string[], bytes: Uint8Array): void;
  /** Creates a directory in an existing one. */
  createDirectory(directory: readonly string[]): void;
}
