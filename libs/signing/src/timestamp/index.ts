export { PKI_FAILURE, PKI_STATUS, TimestampFormatError, TSP_OID } from './asn1';
export { buildTimeStampReq, type TimeStampReqInput } from './timestamp-request';
export {
  GRANTED_STATUSES,
  parseTimeStampResp,
  readTimeStampToken,
  type TimeStampResp,
  type TimeStampTokenInfo,
} from './timestamp-response';
export {
  MAX_REPLY_BYTES,
  TimestampClient,
  TimestampError,
  type StampResult,
  type TimestampClientOptions,
  type TimestampErrorCode,
  type TimestampErrorDetails,
} from './timestamp-client';
export {
  TimestampVerificationError,
  verifyTimeStampToken,
  type TimestampVerificationProblem,
  type VerifyTimeStampTokenOptions,
} from './timestamp-verify';
export { tsaCertificateProblem } from './tsa-certificate';
export { TimestampService } from './timestamp.service';
