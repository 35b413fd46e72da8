/**
 * The Section sample's program (SecTest.exe, KB Q194945, seed 000) in its
 * window: the message it wrote into the shared view, and the reply the
 * driver wrote at the same place through its own view, each in a labelled
 * field, as the console program prints them (samples/section/program.ts).
 */

/** The process whose window this is. */
export const SECTION_PROGRAM = 'SecTest.exe';

/** Fills the window's Message / Reply fields from a line the program printed. */
export function sectionDialog(win: HTMLElement, text: string): void {
  let dl = win.querySelector<HTMLElement>('.section-dialog');
  if (!dl) {
    dl = document.createElement('div');
    dl.className = 'section-dialog';
    const list = document.createElement('dl');
    for (const [field, label] of [['message', 'Message (written by SecTest.exe)'], ['view', 'At (its view)'], ['reply', 'Reply (written by the driver)']] as const) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.dataset['field'] = field;
      dd.textContent = '…';
      list.append(dt, dd);
    }
    dl.append(list);
    win.querySelector('figcaption')!.after(dl);
  }
  const set = (field: string, value: string) => (dl!.querySelector(`[data-field="${field}"]`)!.textContent = value);
  const written = /^Message written at ([0-9a-f]+): (.*)$/i.exec(text);
  if (written) {
    set('view', written[1]!);
    set('message', written[2]!);
  }
  const reply = /^Reply: (.*)$/.exec(text);
  if (reply) set('reply', reply[1]!.replace(/\0.*$/s, ''));
  else if (/failed|Can't open/.test(text)) set('reply', `(none: ${text})`);
}
