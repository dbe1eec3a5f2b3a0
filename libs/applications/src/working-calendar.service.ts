import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '@zhengming/clock';
import { CalendarDayEntity } from './application.entity';
import { calendarFromData, shanghaiDate, type CalendarYearData, type PlainDate, type WorkingCalendar } from './clock';

const RELOAD_AFTER_MS = 10 * 60_000;

/**
 * The district's working-day calendar, read from `calendar_days` (seeded from db/seeds/calendar, one
 * file per year as the State Council publishes it) and kept for a few minutes, so a corrected day
 * reaches every replica without a restart.
 */
@Injectable()
export class WorkingCalendarService {
  private readonly logger = new Logger(WorkingCalendarService.name);
  private cached: { calendar: WorkingCalendar; loadedAt: number } | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async calendar(): Promise<WorkingCalendar> {
    if (this.cached && Date.now() - this.cached.loadedAt < RELOAD_AFTER_MS) return this.cached.calendar;
    const days = await this.dataSource.getRepository(CalendarDayEntity).find({ order: { date: 'ASC' } });
    const byYear = new Map<number, CalendarYearData & { days: CalendarDayEntity[] }>();
    for (const day of days) {
      const year = Number(day.date.slice(0, 4));
      if (!byYear.has(year)) byYear.set(year, { year, days: [] });
      byYear.get(year)!.days.push(day);
    }
    const calendar = calendarFromData([...byYear.values()]);
    // The operators' reminder to load this year's notice: about the real year, whatever the clock says.
    const thisYear = Number(shanghaiDate(new Date()).slice(0, 4));
    if (!calendar.knows(thisYear)) {
      this.logger.warn(`工作日历缺少 ${thisYear} 年的节假日安排：该年只按周末计算 (no holiday table for ${thisYear})`);
    }
    this.cached = { calendar, loadedAt: Date.now() };
    return calendar;
  }

  /** The calendar day (Asia/Shanghai) the clock says it is. */
  async today(): Promise<PlainDate> {
    return shanghaiDate(this.clock.now());
  }
}

/** Writes a year's days; a day already there takes the file's kind and name (a corrected notice). */
export async function upsertCalendarYear(manager: EntityManager, data: CalendarYearData): Promise<void> {
  calendarFromData([data]);
  await manager
    .createQueryBuilder()
    .insert()
    .into(CalendarDayEntity)
    .values(data.days.map((d) => ({ date: d.date, kind: d.kind as CalendarDayEntity['kind'], name: d.name })))
    .orUpdate(['kind', 'name'], ['date'])
    .execute();
}
