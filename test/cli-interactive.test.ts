/**
 * `ntshm run mdl-pages --interactive`: the client's buttons come from the
 * CLI's input (a script here, standing in for the terminal's prompt), and the
 * log shows line by line as the run goes, before the summary.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/program.js';
import type { ScenarioInput } from '../src/index.js';

async function interactive(answers: string[], ...argv: string[]) {
  let out = '';
  let err = '';
  const asked: string[] = [];
  const input: ScenarioInput = {
    choose: async (question, choices) => {
      asked.push(`${question} [${choices.join('/')}]`);
      // What the person sees when asked: every line written so far.
      out += `<asked>\n`;
      return answers.shift() ?? 'Quit';
    },
  };
  const code = await main(['run', 'mdl-pages', '--interactive', ...argv], { out: (s) => { out += s; }, err: (s) => { err += s; }, input });
  return { code, out, err, asked };
}

describe('ntshm run mdl-pages --interactive', () => {
  it('asks for each button and shows what it did before asking again; then the summary', async () => {
    const { code, out, err, asked } = await interactive(['Allocate', 'Fill', 'Release', 'Quit']);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(asked).toEqual(Array(4).fill('SharedMemory client: press a button [Allocate/Fill/Release/Quit]'));
    // The ten values are on the screen before the next question (Release) is asked.
    const fill = out.indexOf('Fill TextEdit: 10 9 8 7 6 5 4 3 2 1');
    expect(fill).toBeGreaterThan(0);
    expect(out.indexOf('<asked>', fill)).toBeGreaterThan(fill);
    expect(out).toContain('Summary of mdl-pages');
    expect(out).toMatch(/free frames\s+(\d+)\s+\1\s+0/);
  });

  it('quits when the person chooses Quit first: nothing allocated, nothing leaked', async () => {
    const { code, out } = await interactive(['Quit']);
    expect(code).toBe(0);
    expect(out).not.toContain('Allocate memory');
    expect(out).toContain('Findings: none');
  });

  it('without --interactive the client runs its own script and asks nothing', async () => {
    let asked = 0;
    let out = '';
    const code = await main(['run', 'mdl-pages'], { out: (s) => { out += s; }, err: () => {}, input: { choose: async () => { asked++; return 'Quit'; } } });
    expect(code).toBe(0);
    expect(asked).toBe(0);
    expect(out).toContain('Fill TextEdit: 10 9 8 7 6 5 4 3 2 1');
  });
});
