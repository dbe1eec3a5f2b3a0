import { BUNDLED_PEOPLE_FILE } from './idp-sim.config';
import { PeopleDirectory, PeopleFileError } from './people-directory';
import { idNumberCheckCharacter, parseIdNumber } from '@zhengming/pii';

describe(PeopleDirectory.name, () => {
  const sut = PeopleDirectory.fromFile(BUNDLED_PEOPLE_FILE);

  describe('the bundled synthetic people', () => {
    it('has exactly the usernames other tests sign in with', () => {
      expect(sut.people.map((p) => p.username).sort()).toEqual(
        [
          'resident-a',
          'resident-b',
          'resident-c',
          'resident-d',
          'clerk-a',
          'approver-a',
          'clerk-b',
          'approver-b',
          'supervisor-a',
          'admin',
          // An enterprise's legal representative and a member of its staff (enterprise seals).
          'legal-rep-a',
          'seal-user-a',
        ].sort(),
      );
    });

    it.each(PeopleDirectory.fromFile(BUNDLED_PEOPLE_FILE).people.map((p) => [p.username, p.idNumber]))(
      '%s has an identity number with a correct check character and a real date of birth',
      (_username, idNumber) => {
        expect(idNumber).toMatch(/^\d{17}[\dX]$/);
        expect(idNumber[17]).toBe(idNumberCheckCharacter(idNumber.slice(0, 17)));
        const parsed = parseIdNumber(idNumber);
        if (!parsed.ok) throw new Error(`${idNumber}: ${parsed.problem}`);
        expect(parsed.value.birthDate >= '1920-01-01' && parsed.value.birthDate <= '2007-12-31').toBe(true);
      },
    );

    it('registers most people in 增城区 (440118) and has an identity number ending in X', () => {
      const inZengcheng = sut.people.filter((p) => p.idNumber.startsWith('440118'));
      expect(inZengcheng.length).toBeGreaterThan(sut.people.length / 2);
      expect(sut.people.some((p) => p.idNumber.endsWith('X'))).toBe(true);
    });

    it('never repeats a username, subject, identity number or phone', () => {
      for (const key of ['username', 'subject', 'idNumber', 'phone'] as const) {
        expect(new Set(sut.people.map((p) => p[key])).size).toBe(sut.people.length);
      }
    });

    it('gives residents level 1 to 3 and staff level 3', () => {
      for (const person of sut.people) {
        expect(person.phone).toMatch(/^1(3|5|8|9)\d{9}$/);
        expect(person.name).toMatch(/^\p{Script=Han}{2,3}$/u);
        if (person.username.startsWith('resident-')) expect([1, 2, 3]).toContain(person.assuranceLevel);
        else expect(person.assuranceLevel).toBe(3);
      }
    });
  });

  it('finds a person by username regardless of case and spaces, and by subject', () => {
    const residentA = sut.findByUsername(' Resident-A ');
    expect(residentA?.name).toBe('李春梅');
    expect(sut.findBySubject(residentA!.subject)).toBe(residentA);
    expect(sut.findByUsername('nobody')).toBeUndefined();
  });

  it('refuses a file with a wrong check character or a duplicate, without echoing the number', () => {
    const person = {
      username: 'x',
      subject: '2b1c55b6-1a7e-4ad4-9a0f-2f3f4a1b9c01',
      name: '王五',
      idNumber: '440118198503120126',
      phone: '13800000000',
      assuranceLevel: 2,
    };
    const parse = () =>
      PeopleDirectory.parse({ _comment: 'synthetic', people: [person, { ...person, idNumber: '11010519491231002X' }] });
    expect(parse).toThrow(PeopleFileError);
    expect(parse).toThrow(/people\.0\.idNumber/);
    expect(parse).toThrow(/people\.1\.username: duplicates/);
    expect(parse).not.toThrow(/440118198503120126/);
  });
});
