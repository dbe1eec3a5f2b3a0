import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApplicationErrorCode, ApplicationException } from '@zhengming/applications';
import type { PersonPrincipal } from '@zhengming/identity';
import { NotificationsService } from '@zhengming/notifications';
import { Access, CurrentPerson } from '../auth/access';
import { NoQuery } from '../http/no-query.dto';
import { NotificationIdParams, NotificationPageDto } from './application.dto';

@ApiTags('notifications')
@Controller('api/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @Access.signedIn()
  @ApiOperation({ summary: '我的消息（本人的，以及所在机构的），最新的在前' })
  @ApiOkResponse({ type: NotificationPageDto })
  async list(@Query(NoQuery) _query: object, @CurrentPerson() person: PersonPrincipal): Promise<NotificationPageDto> {
    const page = await this.notifications.listFor(person.personId, organizationsOf(person));
    return {
      unread: page.unread,
      items: page.items.map((n) => ({
        id: n.id,
        title: n.title,
        body: n.body,
        applicationId: n.applicationId,
        createdAt: n.createdAt,
        readAt: n.readAt,
      })),
    };
  }

  @Post(':id/read')
  @HttpCode(204)
  @Access.signedIn()
  @ApiOperation({ summary: '标记为已读' })
  @ApiNoContentResponse()
  async read(
    @Param() params: NotificationIdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
  ): Promise<void> {
    if (!(await this.notifications.markRead(params.id, person.personId, organizationsOf(person)))) {
      throw new ApplicationException(ApplicationErrorCode.NotificationNotFound, { id: params.id });
    }
  }
}

function organizationsOf(person: PersonPrincipal): string[] {
  return person.roles.map((grant) => grant.organization.id);
}
