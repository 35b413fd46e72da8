/**
 * A person's scenario file: dropped anywhere on the page, or chosen with the
 * file input (the keyboard's way). The page reads its text; the worker
 * compiles and runs it (scenario-file.ts).
 */
import type { ScenarioFile } from './protocol.js';

export function acceptScenarioFiles(zone: HTMLElement, input: HTMLInputElement, take: (file: ScenarioFile) => void): void {
  const read = async (f: File | undefined) => {
    if (f) take({ name: f.name, source: await f.text() });
  };
  input.addEventListener('change', () => {
    void read(input.files?.[0]);
    input.value = '';
  });
  zone.addEventListener('dragover', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('dropping');
  });
  zone.addEventListener('dragleave', (e) => {
    if (e.target === zone) zone.classList.remove('dropping');
  });
  zone.addEventListener('drop', (e) => {
    zone.classList.remove('dropping');
    if (!e.dataTransfer?.files.length) return;
    e.preventDefault();
    void read(e.dataTransfer.files[0]);
  });
}
