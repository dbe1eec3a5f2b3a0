export { signDetachedCades, type CmsSignerInput } from './cades-signed-data';
