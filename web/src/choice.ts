/**
 * The run's choice in the URL's query (?sample=…&variant=…&arch=…&profile=…
 * &verifier=1&seed=…&speed=…), so that a link reproduces a run, and in the
 * controls.
 */
import type { RunChoice } from './protocol.js';

export const DEFAULT_CHOICE: RunChoice = { sample: 'sharing-memory', variant: '', arch: 'x64', profile: '', verifier: false, seed: 1, seconds: 5, speed: 0, interactive: false };

/** The choice a URL's query names; what it leaves out or gets wrong is the default. */
export function choiceFromQuery(search: string): RunChoice {
  const q = new URLSearchParams(search);
  const seed = Number(q.get('seed') ?? DEFAULT_CHOICE.seed);
  const speed = Number(q.get('speed') ?? DEFAULT_CHOICE.speed);
  const seconds = Number(q.get('seconds') ?? DEFAULT_CHOICE.seconds);
  return {
    sample: q.get('sample') ?? DEFAULT_CHOICE.sample,
    variant: q.get('variant') ?? '',
    arch: q.get('arch') === 'x86' ? 'x86' : 'x64',
    profile: q.get('profile') === 'nt4' ? 'nt4' : q.get('profile') === 'win10' ? 'win10' : '',
    verifier: q.get('verifier') === '1' || q.get('verifier') === 'true',
    seed: Number.isInteger(seed) && seed >= 0 && seed <= 0xffff_ffff ? seed : DEFAULT_CHOICE.seed,
    seconds: Number.isInteger(seconds) && seconds >= 1 && seconds <= 86_400 ? seconds : DEFAULT_CHOICE.seconds,
    speed: Number.isFinite(speed) && speed >= 0 ? speed : DEFAULT_CHOICE.speed,
    interactive: q.get('interactive') === '1',
  };
}

/** The query that names `c` (the page's URL after Run). */
export function queryOfChoice(c: RunChoice): string {
  const q = new URLSearchParams({ sample: c.sample });
  if (c.variant) q.set('variant', c.variant);
  q.set('arch', c.arch);
  if (c.profile) q.set('profile', c.profile);
  if (c.verifier) q.set('verifier', '1');
  q.set('seed', String(c.seed));
  q.set('seconds', String(c.seconds));
  q.set('speed', String(c.speed));
  if (c.interactive) q.set('interactive', '1');
  return `?${q.toString()}`;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Sets the controls to `c`. */
export function showChoice(c: RunChoice): void {
  $<HTMLSelectElement>('sample').value = c.sample;
  $<HTMLSelectElement>('variant').value = c.variant;
  $<HTMLSelectElement>('arch').value = c.arch;
  $<HTMLSelectElement>('profile').value = c.profile;
  $<HTMLInputElement>('verifier').checked = c.verifier;
  $<HTMLInputElement>('seed').value = String(c.seed);
  $<HTMLInputElement>('seconds').value = String(c.seconds);
  $<HTMLInputElement>('interactive').checked = c.interactive;
  const speed = $<HTMLSelectElement>('speed');
  if (![...speed.options].some((o) => o.value === String(c.speed))) speed.add(new Option(`${c.speed}×`, String(c.speed)));
  speed.value = String(c.speed);
}

/** The choice the controls show. */
export function readChoice(): RunChoice {
  return {
    sample: $<HTMLSelectElement>('sample').value,
    variant: $<HTMLSelectElement>('variant').value,
    arch: $<HTMLSelectElement>('arch').value === 'x86' ? 'x86' : 'x64',
    profile: (['nt4', 'win10'] as const).find((p) => p === $<HTMLSelectElement>('profile').value) ?? '',
    verifier: $<HTMLInputElement>('verifier').checked,
    seed: Math.max(0, Math.min(0xffff_ffff, Math.floor(Number($<HTMLInputElement>('seed').value) || 0))),
    seconds: Math.max(1, Math.min(86_400, Math.floor(Number($<HTMLInputElement>('seconds').value) || 5))),
    speed: Number($<HTMLSelectElement>('speed').value) || 0,
    interactive: $<HTMLInputElement>('interactive').checked,
  };
}
