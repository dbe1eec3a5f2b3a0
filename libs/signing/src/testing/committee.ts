import type { DataSource } from 'typeorm';
import { OrganizationEntity } from '@zhengming/organizations';

/** Makes a town and one committee under it, as the registry import would. */
export async function makeCommittee(dataSource: DataSource, code = '440118001001'): Promise<OrganizationEntity> {
  const orgs = dataSource.getRepository(OrganizationEntity);
  const town =
    (await orgs.findOneBy({ code: code.slice(0, 9) })) ??
    (await orgs.save(orgs.create({ code: code.slice(0, 9), name: '荔城街道', level: 'town', kind: 'subdistrict' })));
  return orgs.save(
    orgs.create({ code, name: '城南社区居民委员会', level: 'committee', kind: 'community', parentId: town.id }),
  );
}
