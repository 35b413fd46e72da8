/**
 * The blue screen of the Windows version the profile names: Windows 10's
 * ":(" screen with the stop code's name and the driver that failed, or
 * NT 4.0's text screen with its *** STOP line. The explanation goes under it.
 */
import type { ReportBugCheck } from 'ntshm';
import type { LoadedImage } from './protocol.js';

/** The driver image on top of the bug check's stack ("SharingMemory!DispatchControl" → "SharingMemory.sys"). */
function failedImage(b: ReportBugCheck): string | undefined {
  const top = b.stack[0];
  if (!top) return undefined;
  const module = top.split('!')[0]!.trim();
  return /\.sys$/i.test(module) ? module : `${module}.sys`;
}

/** Windows 10's stop screen (1809 and later name what failed). */
function win10Text(b: ReportBugCheck): string {
  const failed = failedImage(b);
  return [
    ':(',
    '',
    "Your PC ran into a problem and needs to restart. We're just",
    "collecting some error info, and then we'll restart for you.",
    '',
    '100% complete',
    '',
    'For more information about this issue and possible fixes, visit https://www.windows.com/stopcode',
    '',
    'If you call a support person, give them this info:',
    `Stop code: ${b.name}`,
    ...(failed ? [`What failed: ${failed}`] : []),
  ].join('\n');
}

/**
 * NT 4.0's blue text screen: the STOP line with the code and its four
 * parameters; under it the name, and when a parameter is an address in a
 * loaded image, NT 4.0's "*** Address ... has base at ... - image" for the
 * first such parameter; then the CPUID line.
 * Windows NT 4.0 Workstation Resource Kit, ch. 38, "The STOP Message Screen" (Section 2: BugCheck Information)
 */
function nt4Text(b: ReportBugCheck, images: readonly LoadedImage[]): string {
  const hex = (s: string) => `0x${s.replace(/^0x/, '').toUpperCase().padStart(8, '0')}`;
  const inImage = b.params.map((p) => ({ p, image: images.find((i) => p >= i.start && p < i.start + i.size) })).find((x) => x.image);
  const where = inImage ? `*** Address ${inImage.p.toString(16)} has base at ${inImage.image!.start.toString(16)} - ${inImage.image!.name}` : '';
  return [
    `*** STOP: ${hex(b.codeHex)} (${b.paramsHex.map(hex).join(',')})`,
    `${b.name}${where}`,
    '',
    'CPUID:GenuineIntel 5.1.5 irql:1f   SYSVER 0Xf0000421',
    '',
    'Restart and set the recovery options in the system control panel',
    'or the /CRASHDEBUG system start option. If this message reappears,',
    'contact your system administrator or technical support group.',
  ].join('\n');
}

/** Shows the blue screen for `b` on the profile's Windows, with the explanation and kd's numbers under it. */
export function showBlueScreen(root: HTMLElement, b: ReportBugCheck, profile: 'win10' | 'nt4', images: readonly LoadedImage[] = []): void {
  root.hidden = false;
  root.className = profile === 'nt4' ? 'nt4' : 'win10';
  root.dataset['code'] = b.codeHex;
  root.dataset['name'] = b.name;
  root.querySelector('#bluescreen-text')!.textContent = profile === 'nt4' ? nt4Text(b, images) : win10Text(b);
  const explanation = root.querySelector('#bluescreen-explanation')!;
  explanation.textContent = '';
  const h = document.createElement('h3');
  h.textContent = `Bug check ${b.codeHex} ${b.name}`;
  const p = document.createElement('p');
  p.textContent = b.explanation;
  const params = document.createElement('pre');
  params.textContent = `Arguments:\n${b.paramsHex.map((v, i) => `Arg${i + 1}: ${v}`).join('\n')}${b.stack.length ? `\n\nStack (innermost first):\n${b.stack.join('\n')}` : ''}`;
  explanation.append(h, p, params);
  (root.querySelector('#bluescreen-close') as HTMLButtonElement).focus();
}
