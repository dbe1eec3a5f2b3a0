export { signDetachedCades, type CmsSignerInput } from './cades-signed-data';
export { parseDer, encodeDer, type Asn1 } from './der';
