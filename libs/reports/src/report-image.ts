import { existsSync } from 'node:fs';
import { Resvg, renderAsync, type ResvgRenderOptions } from '@resvg/resvg-js';
// The whole ECharts build (its CommonJS entry): on the server there is nothing to shake off, and
// the tree-shakable `echarts/core` entries are ES modules only.
import { init, type EChartsOption } from 'echarts';

export const REPORT_IMAGE_SIZE = { width: 1200, height: 680 } as const;

/**
 * The Chinese faces the PNG is drawn with. The system's WenQuanYi Micro Hei (Debian
 * fonts-wqy-microhei) reads best in a chart; the Noto Serif SC the certificates embed ships with the
 * project, so an image never comes out as empty boxes where that package is missing.
 */
const SYSTEM_SANS = { file: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', family: 'WenQuanYi Micro Hei' };
const PACKAGED_SERIF = {
  file: require.resolve('@expo-google-fonts/noto-serif-sc/400Regular/NotoSerifSC_400Regular.ttf'),
  family: 'Noto Serif SC',
};

const faces = [SYSTEM_SANS, PACKAGED_SERIF].filter((face) => existsSync(face.file));

/** The font-family the chart options name: the faces the PNG renderer has, then any the viewer has. */
export const REPORT_IMAGE_FONT_FAMILY = [...faces.map((f) => `'${f.family}'`), 'sans-serif'].join(', ');

/** An ECharts option drawn by ECharts' server-side SVG renderer (no DOM, no browser). */
export function renderChartSvg(
  option: EChartsOption,
  size: { width: number; height: number } = REPORT_IMAGE_SIZE,
): string {
  const chart = init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function pngOptions(scale: number): ResvgRenderOptions {
  return {
    background: '#ffffff',
    fitTo: { mode: 'zoom', value: scale },
    font: {
      fontFiles: faces.map((f) => f.file),
      loadSystemFonts: false,
      defaultFontFamily: faces[0]?.family ?? 'sans-serif',
    },
  };
}

/** The SVG as a PNG (resvg), `scale` times its size; rendered off the event loop. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const image = await renderAsync(svg, pngOptions(scale));
  return Buffer.from(image.asPng());
}

/** The same, synchronously: for the command line, where nothing else waits. */
export function svgToPngSync(svg: string, scale = 2): Buffer {
  return Buffer.from(new Resvg(svg, pngOptions(scale)).render().asPng());
}
