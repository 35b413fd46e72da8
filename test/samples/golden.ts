/**
 * The recorded runs of a sample, kept to show that a change of structure
 * changed no behaviour: the report's JSON with what a change of layout may
 * legitimately move made neutral — kernel and user addresses, frame numbers,
 * pool and frame totals (each process now has a PEB, TEB and stack; the
 * console lives in pool). Events, their order and times, output, exit codes,
 * findings (kinds and wording), the bug check and its code stay as recorded.
 */
import type { Report } from '../../src/index.js';

/**
 * The part of a report the recordings hold, in the shape they were recorded
 * in (before the report gained settings, outcome, frame uses and end states).
 */
function recordedPart(report: Report) {
  const b = report.bugcheck;
  return {
    sample: report.scenario,
    variant: report.variant,
    arch: report.settings.arch,
    seed: report.settings.seed,
    events: report.events.map((e) => ({ t: e.t, source: e.source, process: e.process, text: e.text })),
    processes: report.processes.map(({ pid, name, exitCode, stdout }) => ({ pid, name, exitCode, stdout })),
    shared: report.shared.map((f) => ({
      pfn: f.pfn,
      mappings: f.mappings.map((m) => ({ process: m.process, pid: m.pid, va: m.va, mode: m.mode, protection: m.protection })),
    })),
    bugcheck: b && { code: b.code, name: b.name, params: b.params.map((p) => (p >= 0x10000 ? '<address>' : p)), explanation: b.explanation, stack: b.stack },
    findings: report.findings,
  };
}

/** The report with addresses, frame numbers and resource totals made neutral, as stable JSON text. */
export function normalizeReport(report: Report): string {
  const text = JSON.stringify(recordedPart(report))
    .replace(/\b[0-9a-f]{8}`[0-9a-f]{8}\b/gi, '<address>')
    .replace(/\b[0-9A-F]{16}\b/g, '<address>')
    // A status value printed after its name ("STATUS_NO_MEMORY (0xC0000017)") is no address: it stays.
    .replace(/(?<!\bSTATUS_\w+ \()\b(?:0x)?[0-9a-f]{8}\b/gi, '<address>')
    .replace(/"pfn":\d+/g, '"pfn":"<pfn>"')
    .replace(/"physical":"0x[0-9a-f]+"/g, '"physical":"<physical>"')
    .replace(/PFN 0x[0-9a-f]+/gi, 'PFN <pfn>');
  return `${JSON.stringify(JSON.parse(text), null, 1)}\n`;
}
