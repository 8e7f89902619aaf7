import type { Program } from '../root.js';
import { addDoctor } from '../doctor.js';

export function defineDoctor(program: Program) {
  return addDoctor(
    program,
    'doctor',
    "check the store's database with SQLite's integrity check (exit 0 healthy, 1 problems found); --recover-to copies what is readable into a new database",
  );
}
