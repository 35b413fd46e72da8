/**
 * Replays of the requests that reached a dangerous primitive
 * (kernel/io/user-request.ts): `replayProgram` sends one request again (the
 * same device, IOCTL, input bytes and output length); the report adds to
 * each such finding a scenario file that runs the original scenario with
 * that program beside it, so `ntshm run ./replay.ts` shows the finding again.
 */
import { GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING } from '../include/win32-constants.js';
import { MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE } from '../include/memory-constants.js';
import type { Finding } from '../kernel/ke/log.js';
import type { RequestReplay } from '../kernel/io/user-request.js';
import { defineProgram, type ProgramDefinition } from '../api/win32.js';

export type { RequestReplay } from '../kernel/io/user-request.js';

/** A program that opens `replay.path` and sends its IOCTL with its input bytes, printing what came back. */
export function replayProgram(replay: RequestReplay): ProgramDefinition {
  return defineProgram(async (k32) => {
    const h = k32.CreateFileW(replay.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    if (h === -1 || h === 0xffff_ffff) {
      k32.print(`replay: cannot open ${replay.path} (error ${k32.GetLastError()})`);
      return 1;
    }
    const input = Uint8Array.from(replay.input.match(/../g) ?? [], (b) => parseInt(b, 16));
    const size = Math.max(input.length + replay.outputLength, 1);
    const buffer = k32.VirtualAlloc(0, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (input.length > 0) k32.setBytes(buffer, input);
    const output = buffer + input.length;
    const r = await k32.DeviceIoControl(h, replay.ioctl, input.length ? buffer : 0, input.length, replay.outputLength ? output : 0, replay.outputLength);
    k32.print(`replay: IOCTL 0x${replay.ioctl.toString(16)} with ${input.length} input bytes: ${r.ok ? `ok, ${r.bytesReturned} bytes back` : `error ${k32.GetLastError()}`}`);
    k32.CloseHandle(h);
    return 0;
  }, 'Replay.exe');
}

/** Where the original scenario comes from, for the replay file's import: a scenario file, or a built-in sample's name. */
export interface ReplayOrigin {
  name: string;
  file?: string | undefined;
  variant: string | null;
}

/** The scenario file that replays `replay` beside the original scenario. */
export function replayScenarioSource(replay: RequestReplay, origin: ReplayOrigin): string {
  const importLine = origin.file
    ? `import original from ${JSON.stringify(origin.file)};`
    : `import { findSample } from 'ntshm/samples';\nconst original = findSample(${JSON.stringify(origin.name)})!;`;
  const variant = origin.variant === null ? '' : ` --variant ${origin.variant}`;
  return [
    `// The request that reached a dangerous primitive in ${origin.name}${variant}, sent again: ntshm run ./replay.ts${variant}`,
    `import { defineScenario, replayProgram } from 'ntshm';`,
    importLine,
    '',
    'export default defineScenario({',
    '  ...original,',
    `  name: ${JSON.stringify(`${origin.name}-replay`)},`,
    `  summary: 'the original scenario, and its request to ${replay.path} (IOCTL 0x${replay.ioctl.toString(16)}) sent once more',`,
    '  setup(machine, options) {',
    '    original.setup(machine, options);',
    `    machine.spawn(replayProgram(${JSON.stringify(replay)}));`,
    '  },',
    '});',
    '',
  ].join('\n');
}

/** The findings, each one with a replay given the scenario file that shows it again. */
export function withReplayScenarios(findings: readonly Finding[], origin: ReplayOrigin | undefined): Finding[] {
  return findings.map((f) => {
    const replay = (f.details as { replay?: RequestReplay | null } | undefined)?.replay;
    if (!replay || !origin) return f;
    return { ...f, details: { ...f.details, replay: { ...replay, scenario: replayScenarioSource(replay, origin) } } };
  });
}
