/**
 * Driver files "on disk": the images a loader can find by the file name at
 * the end of a service key's ImagePath (`\SystemRoot\System32\drivers\x.sys`
 * → `x.sys`). There is no file system yet, so the store is a map of file
 * names; NtLoadDriver (cm/load-driver.ts) and the service control manager
 * look images up here, and Machine.installDriver puts them here.
 */
import type { DriverImage } from './driver-load.js';

/** The images on disk, by lower-case file name ("sharingmemory.sys"), and how a driver gets its `nt`. */
export class DriverImageStore {
  private readonly images = new Map<string, DriverImage>();
  /** The `nt` object each loaded driver receives, made by the API layer (set by the machine). */
  makeNt: ((driverName: string) => unknown) | undefined;

  /** Puts a driver image on disk as <serviceName>.sys. */
  install(serviceName: string, image: DriverImage): void {
    this.images.set(`${serviceName.toLowerCase()}.sys`, image);
  }

  /** The image an ImagePath names, by its file name (case-insensitive), if it is on disk. */
  imageFor(imagePath: string): DriverImage | undefined {
    const file = imagePath.split(/[\\/]/).pop()?.toLowerCase() ?? '';
    return this.images.get(file);
  }
}
