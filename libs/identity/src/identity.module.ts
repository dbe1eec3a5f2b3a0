import { Module } from '@nestjs/common';
import { PeopleService } from './people.service';
import { SessionsService } from './sessions.service';
import { StaffService } from './staff.service';
import { VerifiersService } from './verifiers.service';

@Module({
  providers: [PeopleService, SessionsService, StaffService, VerifiersService],
  exports: [PeopleService, SessionsService, StaffService, VerifiersService],
})
export class IdentityModule {}
