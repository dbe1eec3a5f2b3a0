import { describe, expect, it } from '@jest/globals';
import { ApiError } from './api';
import {
  DELIVERY_FILTERS,
  DELIVERY_MAX_LIMIT,
  DELIVERY_PAGE_SIZE,
  applicationDeliveryText,
  attemptsText,
  deliveryStatusOf,
  deliveryUnderWay,
  isNotPushed,
  refreshLimit,
} from './deliveries';

describe('the resident’s line under an issued certificate', () => {
  it('names the receipt once delivered', () => {
    expect(applicationDeliveryText({ status: 'delivered', receiptNo: 'GD20260614001' })).toBe(
      '已推送供电部门，受理号 GD20260614001',
    );
    expect(applicationDeliveryText({ status: 'delivered', receiptNo: null })).toBe('已推送供电部门');
  });

  it('says the push is under way, or that staff are on it', () => {
    expect(applicationDeliveryText({ status: 'pending', receiptNo: null })).toBe('正在推送供电部门…');
    expect(applicationDeliveryText({ status: 'in_flight', receiptNo: null })).toBe('正在推送供电部门…');
    expect(applicationDeliveryText({ status: 'dead', receiptNo: null })).toBe('推送供电部门未成功，工作人员正在处理');
  });

  it('asks again only while the push is under way', () => {
    expect(deliveryUnderWay('pending')).toBe(true);
    expect(deliveryUnderWay('in_flight')).toBe(true);
    expect(deliveryUnderWay('delivered')).toBe(false);
    expect(deliveryUnderWay('dead')).toBe(false);
  });

  it('takes only DELIVERY_NOT_FOUND as “not pushed”', () => {
    expect(isNotPushed(new ApiError(404, 'DELIVERY_NOT_FOUND', '未找到该推送记录'))).toBe(true);
    expect(isNotPushed(new ApiError(404, 'APPLICATION_NOT_FOUND', '未找到'))).toBe(false);
    expect(isNotPushed(new ApiError(500, 'DELIVERY_NOT_FOUND', '?'))).toBe(false);
    expect(isNotPushed(new Error('DELIVERY_NOT_FOUND'))).toBe(false);
  });
});

describe('the admin’s list', () => {
  it('offers all and the four statuses', () => {
    expect(DELIVERY_FILTERS.map(({ status, label }) => [status, label])).toEqual([
      [null, '全部'],
      ['pending', '待推送'],
      ['in_flight', '推送中'],
      ['delivered', '已推送'],
      ['dead', '推送失败'],
    ]);
  });

  it('reads a status from the address, ignoring anything else', () => {
    expect(deliveryStatusOf('dead')).toBe('dead');
    expect(deliveryStatusOf('in_flight')).toBe('in_flight');
    expect(deliveryStatusOf('done')).toBeNull();
    expect(deliveryStatusOf(['dead'])).toBeNull();
    expect(deliveryStatusOf(undefined)).toBeNull();
  });

  it('refreshes as many rows as are shown, within the API’s limits', () => {
    expect(refreshLimit(0)).toBe(DELIVERY_PAGE_SIZE);
    expect(refreshLimit(45)).toBe(45);
    expect(refreshLimit(1000)).toBe(DELIVERY_MAX_LIMIT);
  });

  it('counts attempts', () => {
    expect(attemptsText(3)).toBe('尝试 3 次');
  });
});
