export { signDetachedCades, type CmsSignerInput, type SignatureTimestamper } from './cades-signed-data';
export { parseDer, encodeDer, type Asn1 } from './der';
