import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isValidIdNumber } from '@zhengming/pii';

/** A person the simulated platform has verified, as its directory knows them. */
export interface Person {
  username: string;
  /** Stable, opaque and never reassigned: the `sub` claim. */
  subject: string;
  name: string;
  idNumber: string;
  phone: string;
  /** Level of assurance of the identity proofing, 1 (self-asserted) to 4 (in person). */
  assuranceLevel: number;
}

const personSchema = z.object({
  username: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be lower-case letters, digits and hyphens'),
  subject: z.uuid(),
  name: z.string().regex(/^\p{Script=Han}{2,4}$/u, 'must be 2 to 4 Chinese characters'),
  idNumber: z.string().refine((value) => isValidIdNumber(value), 'is not a valid GB 11643 identity number'),
  phone: z.string().regex(/^1[3589]\d{9}$/, 'must be an 11-digit mobile number'),
  assuranceLevel: z.int().min(1).max(4),
});

const peopleFileSchema = z
  .object({
    _comment: z.string().regex(/synthetic/i, 'must say that the data is synthetic'),
    people: z.array(personSchema).min(1),
  })
  .superRefine(({ people }, ctx) => {
    for (const key of ['username', 'subject', 'idNumber', 'phone'] as const) {
      const seen = new Set<string>();
      people.forEach((person, index) => {
        if (seen.has(person[key])) {
          ctx.addIssue({ code: 'custom', path: ['people', index, key], message: `duplicates an earlier ${key}` });
        }
        seen.add(person[key]);
      });
    }
  });

/** The people file is unusable; the message names the entries, never an identity number or a phone. */
export class PeopleFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(`Invalid people file ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PeopleFileError';
  }
}

/** Usernames are matched the way people type them: case and surrounding spaces do not matter. */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

export class PeopleDirectory {
  private readonly byUsername: Map<string, Person>;
  private readonly bySubject: Map<string, Person>;

  private constructor(readonly people: readonly Person[]) {
    this.byUsername = new Map(people.map((person) => [person.username, person]));
    this.bySubject = new Map(people.map((person) => [person.subject, person]));
  }

  static parse(content: unknown, source = 'people file'): PeopleDirectory {
    const parsed = peopleFileSchema.safeParse(content);
    if (!parsed.success) {
      throw new PeopleFileError(
        source,
        parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`),
      );
    }
    return new PeopleDirectory(parsed.data.people);
  }

  static fromFile(file: string): PeopleDirectory {
    let content: unknown;
    try {
      content = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new PeopleFileError(file, [error instanceof Error ? error.message : String(error)]);
    }
    return PeopleDirectory.parse(content, file);
  }

  findByUsername(username: string): Person | undefined {
    return this.byUsername.get(normalizeUsername(username));
  }

  findBySubject(subject: string): Person | undefined {
    return this.bySubject.get(subject);
  }
}
