/**
 * \Device\PhysicalMemory: a section whose page i is physical frame i. A
 * view of it maps frames nobody allocated to the viewer, which is why user
 * mode may not open it at all (Windows Server 2003 and later: "user-mode
 * access to \Device\PhysicalMemory" is refused whatever the caller's token).
 * Kernel mode may, and the run's report shows what such a view mapped.
 * https://learn.microsoft.com/previous-versions/windows/it-pro/windows-server-2003/cc787565(v=ws.10)
 */
import { PAGE_READWRITE, SEC_COMMIT } from '../../include/memory-constants.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { IoContext } from '../io/context.js';
import { SeSddlSecurityDescriptorFromSDDL } from '../se/sddl.js';
import { SectionObject } from './object.js';

/** The name the object manager gives the section. */
export const PHYSICAL_MEMORY_NAME = '\\Device\\PhysicalMemory';

/** Creates the permanent \Device\PhysicalMemory section over every installed frame (MmInitializeSectionObject's part). */
export function MiCreatePhysicalMemorySection(k: IoContext): SectionObject {
  const size = k.pfn.total * PAGE_SIZE;
  const segment = k.segments.create('physical', size, null, false, false)!;
  segment.label = `Section ${PHYSICAL_MEMORY_NAME}`;
  const section = k.ob.ObCreateObject(new SectionObject(segment, size, PAGE_READWRITE, SEC_COMMIT));
  section.header.SecurityDescriptor = SeSddlSecurityDescriptorFromSDDL('D:P(A;;GA;;;SY)');
  section.header.kernelOnly = true;
  k.ob.insertName(PHYSICAL_MEMORY_NAME, section, 0, true);
  k.ob.ObDereferenceObject(section); // the name's permanent reference keeps it
  return section;
}
