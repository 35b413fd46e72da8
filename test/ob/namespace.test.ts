/**
 * Object-name lookup (ob/namespace.ts) reads each component in place
 * instead of splitting the path (issue 7, item 11: the NtCreateFile path).
 * It must answer exactly as the split-based walk it replaced, which this
 * test keeps as its reference: on well-formed and malformed paths, through
 * symbolic links in the middle and at the end, and past a non-directory.
 */
import { describe, expect, it } from 'vitest';
import { KernelObject, type ObjectType } from '../../src/kernel/ob/object.js';
import { lookupObjectName, ObjectDirectory, SymbolicLinkObject, type LookupResult } from '../../src/kernel/ob/namespace.js';

const DeviceType: ObjectType = { name: 'Device', bodySize: { x64: 0x150, x86: 0xb8 } };
class Device extends KernelObject {
  constructor() {
    super(DeviceType);
  }
}

/** The walk as it was: split the path, then look each part up. */
function reference(root: ObjectDirectory, path: string, openLink: boolean): LookupResult | 'invalid' | 'path' | 'name' {
  let current = path;
  for (let reparse = 0; reparse < 32; reparse++) {
    if (!current.startsWith('\\')) return 'invalid';
    let parts = current.slice(1).split('\\');
    if (parts.length === 1 && parts[0] === '') parts = [];
    else if (parts.some((p) => p === '')) return 'invalid';
    let dir: KernelObject = root;
    let i = 0;
    let relinked = false;
    for (; i < parts.length; i++) {
      if (!(dir instanceof ObjectDirectory)) break;
      const next = dir.entries.get(parts[i]!.toUpperCase());
      if (!next) return i === parts.length - 1 ? 'name' : 'path';
      if (next instanceof SymbolicLinkObject && !(i === parts.length - 1 && openLink)) {
        const rest = parts.slice(i + 1);
        current = next.LinkTarget + (rest.length ? `\\${rest.join('\\')}` : '');
        relinked = true;
        break;
      }
      dir = next;
    }
    if (relinked) continue;
    const rest = parts.slice(i);
    return { object: dir, remaining: rest.length ? `\\${rest.join('\\')}` : '' };
  }
  return 'path';
}

function namespace(): ObjectDirectory {
  const root = new ObjectDirectory();
  const dos = new ObjectDirectory();
  const device = new ObjectDirectory();
  root.entries.set('??', dos);
  root.entries.set('DEVICE', device);
  root.entries.set('DOSDEVICES', new SymbolicLinkObject('\\??'));
  root.entries.set('LOOP', new SymbolicLinkObject('\\Loop'));
  device.entries.set('BEEP', new Device());
  dos.entries.set('BEEP', new SymbolicLinkObject('\\Device\\Beep'));
  dos.entries.set('NOWHERE', new SymbolicLinkObject('\\Device\\Missing'));
  dos.entries.set('BAD', new SymbolicLinkObject('Device\\Beep'));
  return root;
}

const PATHS = [
  '\\', '', 'Device', '\\Device', '\\device\\beep', '\\Device\\Beep\\', '\\Device\\\\Beep', '\\\\', '\\Device\\Beep\\a\\b.txt',
  '\\??\\Beep', '\\??\\BEEP\\file', '\\DosDevices\\Beep', '\\DosDevices\\Beep\\x', '\\DosDevices', '\\DosDevices\\', '\\??\\Nowhere',
  '\\??\\Nowhere\\x', '\\??\\Bad', '\\Loop', '\\Loop\\x', '\\Missing', '\\Missing\\x', '\\Device\\Missing', '\\??\\Beep\\\\x',
];

describe('object-name lookup', () => {
  for (const openLink of [false, true]) {
    it(`answers as the split-based walk did${openLink ? ', opening a link at the end' : ''}`, () => {
      const root = namespace();
      for (const path of PATHS) expect([path, lookupObjectName(root, path, openLink)]).toEqual([path, reference(root, path, openLink)]);
    });
  }

  it('answers as the split-based walk did on random paths', () => {
    const root = namespace();
    const pieces = ['\\', '\\', '\\', 'Device', 'Beep', '??', 'DosDevices', 'x', 'Loop', ''];
    let seed = 7;
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % pieces.length;
    for (let n = 0; n < 2000; n++) {
      let path = '';
      for (let i = 0, len = 1 + (n % 7); i < len; i++) path += pieces[next()];
      expect([path, lookupObjectName(root, path, n % 2 === 0)]).toEqual([path, reference(root, path, n % 2 === 0)]);
    }
  });
});
