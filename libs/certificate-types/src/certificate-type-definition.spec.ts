import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateDefinition, type CertificateTypeDefinition } from './certificate-type-definition';

const seedDir = join(__dirname, '../../../db/seeds/certificate-types');
const seeds: CertificateTypeDefinition[] = readdirSync(seedDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(seedDir, f), 'utf8')));

describe(validateDefinition.name, () => {
  it('accepts the five certificate types of the district, each with a valid example form', () => {
    expect(seeds.map((s) => s.code).sort()).toEqual([
      'business-premises-use',
      'entertainment-venue-deregistration',
      'ev-charger-installation',
      'guardianship',
      'weather',
    ]);
    for (const seed of seeds)
      expect({ code: seed.code, problems: validateDefinition(seed) }).toEqual({ code: seed.code, problems: [] });
  });

  it('rejects a definition whose example does not fill the form correctly', () => {
    const seed = structuredClone(seeds[0]);
    seed.formSchema.examples = [{ ...seed.formSchema.examples[0], phone: '12345' }];
    const problems = validateDefinition(seed);
    expect(problems.length).toBeGreaterThan(0);
    expect(new Set(problems.map((p) => p.path))).toEqual(new Set(['/formSchema/examples/0/phone']));
  });

  it('rejects a form schema with an unknown keyword (strict mode)', () => {
    const seed = structuredClone(seeds[0]);
    (seed.formSchema as Record<string, unknown>).requird = ['x'];
    expect(validateDefinition(seed)).toEqual([expect.objectContaining({ path: '/formSchema' })]);
  });

  it('rejects duplicate material keys and unknown file kinds', () => {
    const seed = structuredClone(seeds[0]);
    seed.materials = [seed.materials[0], seed.materials[0]];
    expect(validateDefinition(seed)).toEqual([{ path: '/materials', message: expect.stringContaining('重复') }]);
    (seed.materials[0] as { accepts: string[] }).accepts = ['exe'];
    expect(validateDefinition(seed).length).toBeGreaterThan(0);
  });

  it('rejects a definition without an example form', () => {
    const seed = structuredClone(seeds[0]);
    seed.formSchema.examples = [];
    expect(validateDefinition(seed).length).toBeGreaterThan(0);
  });
});
