import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import {
  maskIdNumber,
  maskName,
  maskPhone,
  normalizePhone,
  isValidMobilePhone,
  parseIdNumber,
  PiiCipher,
} from '@zhengming/pii';
import { PersonEntity } from './person.entity';
import { IdentityErrorCode, IdentityException } from './identity.exception';

/** What the identity platform tells us about a person at sign-in. */
export interface PlatformIdentity {
  issuer: string;
  subject: string;
  name: string;
  idNumber: string;
  phone: string | null;
  assuranceLevel: number;
}

/** A person as anyone may see them: every personal field masked. */
export interface MaskedPerson {
  id: string;
  name: string;
  idNumber: string;
  phone: string | null;
  assuranceLevel: number;
}

/** Normalises a resident ID number, or refuses it naming what is wrong. */
export function requireIdNumber(input: string): string {
  const parsed = parseIdNumber(input);
  if (!parsed.ok) throw new IdentityException(IdentityErrorCode.IdNumberInvalid, { problem: parsed.problem });
  return parsed.value.normalized;
}

@Injectable()
export class PeopleService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: PiiCipher,
  ) {}

  async findByIdNumber(idNumber: string, manager: EntityManager = this.dataSource.manager) {
    const hash = this.cipher.hash('idNumber', requireIdNumber(idNumber));
    return manager.findOneBy(PersonEntity, { idNumberHash: hash });
  }

  async get(id: string, manager: EntityManager = this.dataSource.manager): Promise<PersonEntity> {
    const person = await manager.findOneBy(PersonEntity, { id });
    if (!person) throw new IdentityException(IdentityErrorCode.PersonNotFound);
    return person;
  }

  /**
   * The person the platform vouched for, created or brought up to date. A person registered by ID
   * number before (staff) is linked to the platform's subject on first sign-in.
   */
  async upsertFromPlatform(identity: PlatformIdentity, manager: EntityManager): Promise<PersonEntity> {
    const parsed = parseIdNumber(identity.idNumber);
    const name = identity.name.trim();
    const phone = identity.phone ? normalizePhone(identity.phone) : null;
    if (!parsed.ok || !name || name.length > 64 || (phone !== null && !isValidMobilePhone(phone))) {
      throw new IdentityException(IdentityErrorCode.IdentityInvalid, {
        idNumber: parsed.ok ? 'ok' : parsed.problem,
        name: name ? 'ok' : 'missing',
        phone: phone === null || isValidMobilePhone(phone) ? 'ok' : 'invalid',
      });
    }
    const idNumberHash = this.cipher.hash('idNumber', parsed.value.normalized);
    const bySubject = await manager.findOneBy(PersonEntity, {
      oidcIssuer: identity.issuer,
      oidcSubject: identity.subject,
    });
    const person =
      bySubject ?? (await manager.findOneBy(PersonEntity, { idNumberHash })) ?? manager.create(PersonEntity);
    if (person.oidcSubject && person.oidcIssuer === identity.issuer && person.oidcSubject !== identity.subject) {
      // The same ID number under another subject of the same platform: refuse rather than merge.
      throw new IdentityException(IdentityErrorCode.IdentityInvalid, { subject: 'conflict' });
    }
    if (bySubject && bySubject.idNumberHash !== idNumberHash) {
      throw new IdentityException(IdentityErrorCode.IdentityInvalid, { idNumber: 'changed' });
    }
    Object.assign(person, {
      oidcIssuer: identity.issuer,
      oidcSubject: identity.subject,
      name,
      idNumberHash,
      idNumberEncrypted:
        person.idNumberEncrypted && !this.cipher.isStale(person.idNumberEncrypted)
          ? person.idNumberEncrypted
          : this.cipher.encrypt('idNumber', parsed.value.normalized),
      phoneHash: phone ? this.cipher.hash('phone', phone) : null,
      phoneEncrypted: phone ? this.cipher.encrypt('phone', phone) : null,
      assuranceLevel: Math.max(0, Math.min(4, Math.trunc(identity.assuranceLevel))),
      lastLoginAt: new Date(),
    });
    return manager.save(PersonEntity, person);
  }

  /** Registers a person by name and ID number (staff, before their first sign-in), or finds them. */
  async register(input: { name: string; idNumber: string }, manager: EntityManager): Promise<PersonEntity> {
    const idNumber = requireIdNumber(input.idNumber);
    const idNumberHash = this.cipher.hash('idNumber', idNumber);
    const existing = await manager.findOneBy(PersonEntity, { idNumberHash });
    if (existing) return existing;
    return manager.save(
      PersonEntity,
      manager.create(PersonEntity, {
        name: input.name.trim(),
        idNumberHash,
        idNumberEncrypted: this.cipher.encrypt('idNumber', idNumber),
        assuranceLevel: 0,
      }),
    );
  }

  masked(person: PersonEntity): MaskedPerson {
    return {
      id: person.id,
      name: maskName(person.name),
      idNumber: maskIdNumber(this.cipher.decrypt('idNumber', person.idNumberEncrypted)),
      phone: person.phoneEncrypted ? maskPhone(this.cipher.decrypt('phone', person.phoneEncrypted)) : null,
      assuranceLevel: person.assuranceLevel,
    };
  }
}
