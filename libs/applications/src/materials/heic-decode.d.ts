// heic-decode (libheif compiled to WebAssembly) ships no type declarations; only what we use.
declare module 'heic-decode' {
  interface DecodedHeicImage {
    width: number;
    height: number;
    /** RGBA, 8 bits per channel. */
    data: Uint8ClampedArray;
  }

  interface HeicImageHandle {
    width: number;
    height: number;
    decode(): Promise<DecodedHeicImage>;
  }

  function decode(input: { buffer: Uint8Array | ArrayBuffer }): Promise<DecodedHeicImage>;

  namespace decode {
    /** Lists the images without decoding them; `dispose` frees the decoder. */
    function all(input: { buffer: Uint8Array | ArrayBuffer }): Promise<HeicImageHandle[] & { dispose(): void }>;
  }

  export = decode;
}
