/**
 * Dump files for the CLI: where a run's dump goes (`.ntshm/dumps/` on every
 * bug check, or `--dump FILE`), writing it, and reading one for `ntshm kd`.
 * The bytes are the package's (`machine.dump()`, docs/dump-format.md).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DumpFormatError, loadDump, type LoadedDump, type Report } from '../index.js';
import { UsageError } from './usage.js';

/** Where a bug check's dump is written when `--dump` is not given. */
export const DEFAULT_DUMP_FOLDER = './.ntshm/dumps';

/** `sharing-memory-paged-pool-x64-verifier-seed1.ntshmdmp`: the run's name, so the same run writes the same file again. */
export function dumpFileName(report: Report): string {
  const s = report.settings;
  const scenario = (report.scenario ?? 'machine').replace(/[^A-Za-z0-9._-]+/g, '_');
  const variant = report.variant ? `-${report.variant.replace(/[^A-Za-z0-9._-]+/g, '_')}` : '';
  return `${scenario}${variant}-${s.arch}${s.verifier ? '-verifier' : ''}-seed${s.seed}.ntshmdmp`;
}

/** The default path of a run's dump. */
export function defaultDumpPath(report: Report, folder = DEFAULT_DUMP_FOLDER): string {
  return join(folder, dumpFileName(report));
}

/** Writes a dump (the folder made as needed); a path that cannot be written is the user's mistake. */
export function writeDumpFile(file: string, bytes: Uint8Array): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
  } catch (e) {
    throw new UsageError(`cannot write the dump to ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Reads a dump file for kd: a missing file, or one that is not a dump (or of another version), is a one-line UsageError. */
export function readDumpFile(file: string): LoadedDump {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UsageError(code === 'ENOENT' ? `no dump file ${file}` : `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    return loadDump(bytes);
  } catch (e) {
    if (e instanceof DumpFormatError) throw new UsageError(`${file}: ${e.message}`, { cause: e });
    throw e;
  }
}
