/**
 * `ntshm run --interactive`: the person at the terminal answers a program's
 * questions (which button the mdl-pages client presses next) through a
 * select prompt of @inquirer/prompts, drawn on stderr. Only the CLI has it;
 * the core sees a ScenarioInput. Ctrl+C at the prompt answers the last choice (Quit).
 */
import process from 'node:process';
import { select } from '@inquirer/prompts';
import type { ScenarioInput } from '../index.js';

/** The terminal as a ScenarioInput: one select prompt per question. */
export function terminalInput(): ScenarioInput {
  return {
    async choose(question: string, choices: readonly string[]): Promise<string> {
      try {
        // The prompt is drawn on stderr, so that stdout (the log, or --json's one object) stays the run's.
        return await select({ message: question, choices: choices.map((value) => ({ name: value, value })) }, { output: process.stderr });
      } catch (e) {
        // The prompt closed (Ctrl+C, or the terminal went away): the last choice, which is how a program stops.
        if (e instanceof Error && (e.name === 'ExitPromptError' || e.name === 'AbortPromptError')) return choices[choices.length - 1] ?? '';
        throw e;
      }
    },
  };
}
