/**
 * Log fields that may carry secrets or personal data. Request bodies are never logged; these cover
 * headers and the objects services log, so an ID number or phone number cannot reach a log line.
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.idNumber',
  '*.phone',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
];
