import { describe, expect, it } from 'vitest';
import { Clock } from '../../src/hw/clock.js';

describe('the virtual clock counts memory accesses down to the next deadline', () => {
  it('each access guest memory counts in accessesLeft moves the time by the access cost', () => {
    const clock = new Clock(2);
    clock.nowNs = 1000;
    const left = clock.accessesLeft;
    for (let i = 0; i < 5; i++) left[0] = left[0]! - 1;
    expect(clock.nowNs).toBe(1010);
    expect(clock.budget).toBe(left[0]);
  });

  it('the access that takes the budget below zero is the first at or past the deadline', () => {
    const clock = new Clock(2);
    clock.nowNs = 0;
    clock.deadlineNs = 7;
    // Accesses at 2, 4, 6 fit; the fourth ends at 8, past 7.
    expect(clock.budget).toBe(3);
    const left = clock.accessesLeft;
    let accesses = 0;
    while ((left[0] = left[0]! - 1) >= 0) accesses++;
    expect(accesses).toBe(3);
    expect(clock.nowNs).toBe(8);
  });

  it('a deadline of -Infinity stops the very next access, and time still folds in on resync', () => {
    const clock = new Clock(2);
    clock.nowNs = 100;
    clock.deadlineNs = -Infinity;
    expect(clock.budget).toBe(-1);
    clock.accessesLeft[0] = clock.accessesLeft[0]! - 1;
    clock.resync();
    expect(clock.nowNs).toBe(102);
    expect(clock.budget).toBe(-1);
  });

  it('a far deadline caps the budget at a count that never leaves the int32 range', () => {
    const clock = new Clock(1);
    clock.nowNs = 0;
    clock.deadlineNs = 1e15;
    expect(clock.budget).toBe(2 ** 30);
    expect(clock.accessesLeft[0]).toBe(2 ** 30);
  });
});
