/**
 * RtlDosPathNameToNtPathName_U, as far as ntshm's paths go: a Win32 path
 * becomes the NT path NtCreateFile is given.
 *
 *   \\?\C:\a\..\b      → \??\C:\a\..\b    (verbatim: no normalization at all)
 *   \\.\X              → \??\X            (a device; normalized as a full path)
 *   C:\a\.\b\..\c.txt  → \??\C:\a\c.txt   (`.` and `..` resolved, never above the root)
 *   C:a.txt, \a.txt    → against the current directory's drive
 *   a.txt              → against the current directory
 *
 * `/` is a separator like `\`, repeated separators count once, and the last
 * component loses trailing dots and spaces. `..` can never climb above the
 * drive's root, so only a `\\?\` path can hand the file system a `..`,
 * which it refuses (STATUS_OBJECT_NAME_INVALID).
 * https://learn.microsoft.com/windows/win32/fileio/naming-a-file#fully-qualified-vs-relative-paths
 * https://learn.microsoft.com/dotnet/standard/io/file-path-formats#path-normalization
 */

/** Resolves `.` and `..` in the components after a root; `..` at the root stays at the root. */
function normalizeComponents(parts: readonly string[]): string[] {
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  // Win32 drops trailing dots and spaces from the last component ("a.txt. " names a.txt).
  const last = out.length - 1;
  if (last >= 0) {
    const trimmed = out[last]!.replace(/[. ]+$/, '');
    if (trimmed === '') out.pop();
    else out[last] = trimmed;
  }
  return out;
}

/** The full Win32 path (`C:\a\b`) of `path`, against `currentDirectory` (which ends with `\`). */
export function fullDosPath(path: string, currentDirectory: string): string {
  const p = path.replace(/\//g, '\\');
  const drive = /^[a-zA-Z]:/.test(currentDirectory) ? currentDirectory.slice(0, 2) : 'C:';
  let root: string;
  let rest: string;
  if (/^[a-zA-Z]:\\/.test(p)) {
    root = p.slice(0, 2);
    rest = p.slice(3);
  } else if (/^[a-zA-Z]:/.test(p)) {
    // Drive-relative: the current directory if it is on that drive, else the drive's root.
    root = p.slice(0, 2);
    const onDrive = root.toUpperCase() === drive.toUpperCase();
    rest = `${onDrive ? currentDirectory.slice(3) : ''}\\${p.slice(2)}`;
  } else if (p.startsWith('\\')) {
    root = drive;
    rest = p.slice(1);
  } else {
    root = drive;
    rest = `${currentDirectory.slice(3)}\\${p}`;
  }
  return `${root}\\${normalizeComponents(rest.split('\\')).join('\\')}`;
}

/** Win32 path → NT path (see the file comment). */
export function win32PathToNt(path: string, currentDirectory: string): string {
  if (path.startsWith('\\\\?\\')) return `\\??\\${path.slice(4)}`;
  if (path.startsWith('\\\\.\\') || path.startsWith('//./')) {
    const parts = normalizeComponents(path.slice(4).replace(/\//g, '\\').split('\\'));
    return `\\??\\${parts.join('\\')}`;
  }
  return `\\??\\${fullDosPath(path, currentDirectory)}`;
}
