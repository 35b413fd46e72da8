/**
 * The variants of the section sample (reference/misuse.md) and what each
 * runs. `wrong-context` (a system worker thread maps the view) and `no-try`
 * (the program unmaps while the driver reads) need work items and a second
 * program thread, which arrive with the waiting-and-signalling issue.
 */
import type { BootOptions, Machine, ScenarioVariant } from 'ntshm';
import { sectionDriver } from './driver.js';
import { SECTION_NAME, SERVICE_NAME } from './ioctl.js';
import { secTestProgram } from './program.js';
import { shareSectionByHandle } from './variants/user-handle.js';

export const variants: readonly ScenarioVariant[] = [
  {
    name: 'session-namespace',
    summary: 'win10 profile: the program creates Local\\SectionTest, the driver opens \\BaseNamedObjects\\SectionTest: STATUS_OBJECT_NAME_NOT_FOUND',
  },
  { name: 'user-handle', summary: 'the program sends its section handle in the IOCTL and the driver references it with KernelMode: 0xC4/0xF6 with the verifier, else finding user-handle-trusted' },
  { name: 'user-handle-checked', summary: 'the fix of user-handle: the driver references the program\'s handle with Irp->RequestorMode (UserMode)' },
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
  'global-namespace': (machine) => {
    machine.loadDriver(SERVICE_NAME, sectionDriver());
    machine.spawn(secTestProgram({ sectionName: `Global\\${SECTION_NAME}` }), { session: 1 });
  },
};

/** The article's world is NT 4 (one \BaseNamedObjects); the namespace variants run on a Windows 10 profile, with sessions. */
export function variantBootOptions(variant: string | undefined): BootOptions {
  return { profile: variant === 'session-namespace' || variant === 'global-namespace' ? 'win10' : 'nt4' };
}
