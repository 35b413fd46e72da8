/**
 * kd on the stopped machine: a labelled input where a person types WinDbg
 * commands (`!analyze -v`, `!pte VA`, `!pfn N`, `!process 0 0`, `lm`, `k`,
 * `dd ADDR`...) and an output area with each command and kd's answer, as
 * WinDbg's command window shows them. The worker answers with machine.kd().
 * Enter runs the line; Up and Down walk the commands typed before.
 */
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export class KdConsole {
  private readonly input = $<HTMLInputElement>('kd-input');
  private readonly output = $('kd-output');
  private readonly history: string[] = [];
  /** Where Up/Down is in the history (history.length: the line being typed). */
  private at = 0;
  /** What was typed before Up was pressed, given back by Down at the end. */
  private draft = '';

  constructor(private readonly send: (command: string) => void) {
    $('kd-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const command = this.input.value.trim();
      if (!command) return;
      this.input.value = '';
      this.run(command);
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowUp' && this.at > 0) {
        if (this.at === this.history.length) this.draft = this.input.value;
        this.input.value = this.history[--this.at]!;
      } else if (e.key === 'ArrowDown' && this.at < this.history.length) {
        this.at++;
        this.input.value = this.at === this.history.length ? this.draft : this.history[this.at]!;
      } else return;
      e.preventDefault();
    });
  }

  /** Sends a command, and remembers it for Up. */
  run(command: string): void {
    if (this.history[this.history.length - 1] !== command) this.history.push(command);
    this.at = this.history.length;
    this.draft = '';
    this.send(command);
  }

  /** kd's answer to a command. */
  answer(command: string, output: string): void {
    const entry = document.createElement('div');
    entry.className = 'kd-entry';
    entry.dataset['command'] = command;
    const prompt = document.createElement('pre');
    prompt.className = 'kd-prompt';
    prompt.textContent = `0: kd> ${command}`;
    const text = document.createElement('pre');
    text.className = 'kd-answer';
    text.textContent = output;
    entry.append(prompt, text);
    this.output.append(entry);
    // The answer's first line at the top: !analyze -v is read from its start.
    this.output.scrollTop = entry.offsetTop - this.output.offsetTop;
  }

  /** kd takes commands only on a stopped machine (paused, finished, bug-checked). */
  enable(stopped: boolean): void {
    this.input.disabled = !stopped;
    $<HTMLButtonElement>('kd-run').disabled = !stopped;
    $('kd-state').textContent = stopped ? 'The machine is stopped: kd is attached.' : 'kd attaches when the machine stops (pause it, or let the run end).';
  }

  clear(): void {
    this.output.textContent = '';
  }

  focus(): void {
    this.input.focus();
  }
}
