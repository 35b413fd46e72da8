/**
 * The Section object type: a section object refers to a segment (mm), the
 * pages every view of it shares, with the size and protection it was
 * created with. The segment goes when its last section object and its last
 * view go.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/section-objects-and-views
 */
import {
  SECTION_ALL_ACCESS, SECTION_MAP_EXECUTE, SECTION_MAP_READ, SECTION_MAP_WRITE, SECTION_QUERY, STANDARD_RIGHTS_EXECUTE,
  STANDARD_RIGHTS_READ, STANDARD_RIGHTS_WRITE,
} from '../../include/wdm-constants.js';
import type { Segment } from '../mm/segment.js';
import type { GenericMapping } from '../../include/security.js';
import { KernelObject, type ObjectType } from '../ob/object.js';
import type { ObContext } from '../ob/context.js';



/** MmSectionObjectType's GENERIC_MAPPING (winnt.h's SECTION_* rights). */
export const SectionGenericMapping: GenericMapping = {
  GenericRead: STANDARD_RIGHTS_READ | SECTION_QUERY | SECTION_MAP_READ,
  GenericWrite: STANDARD_RIGHTS_WRITE | SECTION_MAP_WRITE,
  GenericExecute: STANDARD_RIGHTS_EXECUTE | SECTION_MAP_EXECUTE,
  GenericAll: SECTION_ALL_ACCESS,
};

/**
 * MmSectionObjectType (body: SECTION on Windows 10): names compared with
 * case (no CaseInsensitive in its initializer), and creating one in another
 * session's directory needs SeCreateGlobalPrivilege.
 */
export const MmSectionObjectType: ObjectType = {
  name: 'Section', bodySize: { x64: 0x40, x86: 0x28 }, GenericMapping: SectionGenericMapping, sessionRestricted: true,
};

/** SECTION: the segment, the size asked for, and the protection and attributes it was created with. */
export class SectionObject extends KernelObject {
  constructor(
    readonly segment: Segment,
    /** SizeOfSection, in bytes (pagefile-backed: rounded up to pages). */
    public SizeOfSection: number,
    /** InitialPageProtection: the most a view may be given (MiIsProtectionCompatible). */
    readonly InitialPageProtection: number,
    /** The AllocationAttributes (SEC_*) as NtQuerySection reports them. */
    readonly AllocationAttributes: number,
  ) {
    super(MmSectionObjectType);
    segment.sectionReferences++;
  }
}

/** Registers the type's delete procedure: the segment loses a reference (and goes if nothing else holds it). */
export function registerSectionType(k: ObContext): void {
  k.ob.registerType<SectionObject>(MmSectionObjectType, {
    delete: (section) => {
      section.segment.sectionReferences--;
      k.segments.deleteIfUnused(section.segment);
    },
  });
}
