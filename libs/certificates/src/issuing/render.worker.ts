import { renderDocument } from './render-document';

/** Piscina's entry point: one render per call, in a worker thread, off the event loop. */
export default renderDocument;
