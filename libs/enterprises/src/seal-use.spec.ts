import { degrees, PDFDocument } from 'pdf-lib';
import { SEAL_DIAMETER } from '@zhengming/certificates';
import { EnterpriseErrorCode } from './enterprise.exception';
import { placeOnPage } from './seal-use.service';

const W = 595.28;
const H = 841.89;

async function onePage(rotation: number, cropBox?: [number, number, number, number]): Promise<PDFDocument> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([W, H]);
  page.setRotation(degrees(rotation));
  if (cropBox) page.setCropBox(...cropBox);
  return doc;
}

const centreOf = (rect: { x: number; y: number; width: number }) => ({
  x: Math.round((rect.x + rect.width / 2) * 100) / 100,
  y: Math.round((rect.y + rect.width / 2) * 100) / 100,
});

describe(placeOnPage.name, () => {
  it.each([
    [0, { x: 100, y: 200 }],
    // Shown turned clockwise: the shown bottom edge is the page's right edge, read upwards.
    [90, { x: W - 200, y: 100 }],
    [180, { x: W - 100, y: H - 200 }],
    [270, { x: 200, y: H - 100 }],
  ])('puts the seal where it is asked for on the page as shown (/Rotate %i)', async (rotation, expected) => {
    const rect = placeOnPage(await onePage(rotation), { page: 1, x: 100, y: 200 });
    expect(rect.width).toBe(SEAL_DIAMETER);
    expect(centreOf(rect)).toEqual(expected);
  });

  it('counts from the crop box, the part of the page that is shown', async () => {
    const rect = placeOnPage(await onePage(0, [50, 60, 400, 500]), { page: 1, x: 100, y: 200 });
    expect(centreOf(rect)).toEqual({ x: 150, y: 260 });
  });

  it.each([
    [0, 800, 100], // wider than the page shown upright
    [90, 100, 700], // higher than the turned page shown
    [0, 30, 300], // half the seal off the left edge
  ])('refuses a seal that would not lie wholly on the page (/Rotate %i, %i, %i)', async (rotation, x, y) => {
    const doc = await onePage(rotation);
    expect(() => placeOnPage(doc, { page: 1, x, y })).toThrow(
      expect.objectContaining({ code: EnterpriseErrorCode.UsePositionOffPage }),
    );
  });

  it('accepts on a turned page a place only the turned page has', async () => {
    expect(centreOf(placeOnPage(await onePage(90), { page: 1, x: 780, y: 100 }))).toEqual({ x: W - 100, y: 780 });
  });

  it.each([0, 2, 1.5])('refuses page %s of a one-page document', async (page) => {
    const doc = await onePage(0);
    expect(() => placeOnPage(doc, { page, x: 100, y: 100 })).toThrow(
      expect.objectContaining({ code: EnterpriseErrorCode.UsePageOutOfRange }),
    );
  });
});
