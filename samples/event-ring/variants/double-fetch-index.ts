/**
 * Variant `double-fetch-index` of EventRing.sys: the doorbell reads the
 * program-written RequestHead twice, once for the check and again for the
 * loop. Diff it against `requestHeadOnce` in ../driver.ts.
 *
 * The check (no more than REQUEST_SLOTS requests past RequestTail) is made
 * on the first value; the loop runs to the second, which nobody checked. A
 * program whose other thread moves RequestHead between the two reads (on
 * another processor, a few instructions apart) makes the driver take slots
 * it never published: stale requests served again, or, had the slot index
 * not been reduced modulo the ring, reads past it. Both reads go to one
 * physical line the program can write through its own mapping: a double
 * fetch (reference/double-fetch.md), which the verifier's double-fetch check
 * will find. ntshm runs one thread at a time and a driver's dispatch code to
 * its end, so today nothing moves the index between the reads: the run ends
 * as the right one does, and the driver says what it did.
 * https://learn.microsoft.com/windows-hardware/drivers/devtest/doublefetch
 */
import type { Nt } from 'ntshm/wdm';
import { RequestHead } from '../protocol.js';
import type { RequestHeadReader } from '../driver.js';

/** The misuse: RequestHead read again, after the check, from the page the program writes. */
export function requestHeadTwice(): RequestHeadReader {
  let said = false;
  return {
    check: (nt: Nt, control: number) => nt.getUint32(control + RequestHead),
    use(nt: Nt, control: number, checked: number): number {
      // Wrong: a second fetch of the program's index; the checked copy is thrown away.
      const used = nt.getUint32(control + RequestHead);
      if (!said) {
        said = true;
        nt.DbgPrint('EventRing: RequestHead read twice in one doorbell (checked %u, used %u): a double fetch of a program-written index\n', checked, used);
      }
      return used;
    },
  };
}
