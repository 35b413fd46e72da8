/**
 * The variants of the section sample (reference/misuse.md) and what each
 * runs: each is one switch in driver.ts or program.ts, and the driver's
 * changed code is in variants/.
 */
import type { BootOptions, Machine, ScenarioVariant } from 'ntshm';
import { sectionDriver } from './driver.js';
import { SECTION_NAME, SERVICE_NAME } from './ioctl.js';
import { secTestProgram } from './program.js';
import { noTryControl } from './variants/no-try.js';
import { shareSectionByHandle } from './variants/user-handle.js';
import { wrongContextControl } from './variants/wrong-context.js';

export const variants: readonly ScenarioVariant[] = [
  {
    name: 'session-namespace',
    summary: 'win10 profile: the program creates Local\\SectionTest, the driver opens \\BaseNamedObjects\\SectionTest: STATUS_OBJECT_NAME_NOT_FOUND',
  },
  { name: 'user-handle', summary: 'the program sends its section handle in the IOCTL and the driver references it with KernelMode: 0xC4/0xF6 with the verifier, else finding user-handle-trusted' },
  { name: 'user-handle-checked', summary: 'the fix of user-handle: the driver references the program\'s handle with Irp->RequestorMode (UserMode)' },
  {
    name: 'wrong-context',
    summary: 'a System worker thread maps the view: it lands in the System process (the program finds nothing at its address), and the worker reading the ' +
      'program\'s address faults: 0x7E with 0xC0000005 (an exception on a user address, not misuse.md\'s 0x50)',
  },
  {
    name: 'no-try',
    summary: 'the driver keeps its view in the program\'s process and reads it outside try/except after a second program thread unmapped it: 0x3B with 0xC0000005',
  },
  { name: 'global-namespace', summary: 'win10 profile: the program creates Global\\SectionTest, which the driver finds (the fix of session-namespace)' },
];

export const variantSetups: Record<string, (machine: Machine) => void> = {
  'session-namespace': (machine) => {
    machine.loadDriver(SERVICE_NAME, sectionDriver());
    machine.spawn(secTestProgram({ sectionName: `Local\\${SECTION_NAME}` }), { session: 1 });
  },
  'user-handle': (machine) => {
    machine.loadDriver(SERVICE_NAME, sectionDriver({ share: shareSectionByHandle(true) }));
    machine.spawn(secTestProgram({ passHandle: true }));
  },
  'user-handle-checked': (machine) => {
    machine.loadDriver(SERVICE_NAME, sectionDriver({ share: shareSectionByHandle(false) }));
    machine.spawn(secTestProgram({ passHandle: true }));
  },
  'wrong-context': (machine) => {
    machine.loadDriver(SERVICE_NAME, sectionDriver({ control: wrongContextControl() }));
    machine.spawn(secTestProgram({ keptView: 'wrong-context' }));
  },
  'no-try': (machine) => {
    machine.loadDriver(SERVICE_NAME, sectionDriver({ control: noTryControl() }));
    machine.spawn(secTestProgram({ keptView: 'no-try' }));
  },
  'global-namespace': (machine) => {
    machine.loadDriver(SERVICE_NAME, sectionDriver());
    machine.spawn(secTestProgram({ sectionName: `Global\\${SECTION_NAME}` }), { session: 1 });
  },
};

/** The article's world is NT 4 (one \BaseNamedObjects); the namespace variants run on a Windows 10 profile, with sessions. */
export function variantBootOptions(variant: string | undefined): BootOptions {
  return { profile: variant === 'session-namespace' || variant === 'global-namespace' ? 'win10' : 'nt4' };
}
