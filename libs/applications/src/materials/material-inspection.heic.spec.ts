import decodeHeic from 'heic-decode';
import sharp from 'sharp';
import { inspectMaterial } from './material-inspection';
import { MaterialErrorCode, MaterialException } from './material.exception';

// No HEVC encoder is available to build a real HEIC fixture (sharp's prebuilt libvips and libheif-js
// decode only), so libheif is faked here and the conversion after it runs for real. The real decoder
// is exercised on unreadable input in material-inspection.spec.ts.
jest.mock('heic-decode', () => Object.assign(jest.fn(), { all: jest.fn() }));

const listImages = jest.mocked(decodeHeic.all);

const heicUpload = Buffer.concat([
  Buffer.from([0, 0, 0, 0x18]),
  Buffer.from('ftypheic', 'latin1'),
  Buffer.from([0, 0, 0, 0]),
  Buffer.from('mif1heic', 'latin1'),
  Buffer.alloc(64),
]);

function decodedImage(width: number, height: number) {
  const decode = jest.fn(async () => ({ width, height, data: new Uint8ClampedArray(width * height * 4).fill(200) }));
  const dispose = jest.fn();
  listImages.mockResolvedValueOnce(Object.assign([{ width, height, decode }], { dispose }));
  return { decode, dispose };
}

describe(`${inspectMaterial.name} with HEIC`, () => {
  beforeEach(() => listImages.mockReset());

  it('converts an iPhone HEIC photo to a JPEG and frees the decoder', async () => {
    const { dispose } = decodedImage(60, 40);

    const sut = await inspectMaterial(heicUpload, { accepts: ['image'], maxBytes: 1_000_000 });

    expect(sut).toMatchObject({
      kind: 'image',
      contentType: 'image/jpeg',
      extension: 'jpg',
      width: 60,
      height: 40,
      convertedFrom: 'heic',
    });
    expect(await sharp(sut.bytes).metadata()).toMatchObject({ format: 'jpeg', width: 60, height: 40 });
    expect(listImages).toHaveBeenCalledWith({ buffer: heicUpload });
    expect(dispose).toHaveBeenCalled();
  });

  it('refuses a HEIC image with too many pixels without decoding it', async () => {
    const { decode, dispose } = decodedImage(12_000, 9_000);

    const error = await inspectMaterial(heicUpload, { accepts: ['image'], maxBytes: 1_000_000 }).catch((e) => e);

    expect(error).toBeInstanceOf(MaterialException);
    expect(error).toMatchObject({ code: MaterialErrorCode.TooLarge, details: { width: 12_000, height: 9_000 } });
    expect(decode).not.toHaveBeenCalled();
    expect(dispose).toHaveBeenCalled();
  });

  it('reports a decoder failure as an unreadable HEIC', async () => {
    listImages.mockRejectedValueOnce(new Error('HEIF image not found'));
    await expect(inspectMaterial(heicUpload, { accepts: ['image'], maxBytes: 1_000_000 })).rejects.toMatchObject({
      code: MaterialErrorCode.HeicUnreadable,
    });
  });
});
