import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

export class PdfChartFailed extends Error {
  readonly code = 'PDF_CHART_FAILED';
  constructor(
    readonly chart: string,
    reason: string,
  ) {
    super(`chart "${chart}" cannot be rendered: ${reason}`);
    this.name = 'PdfChartFailed';
  }
}

const LOADING_REFUSED = 'charts carry their data inline; loading a URL or file is refused';

/**
 * Vega in Node can fetch URLs and read files for a spec's data and images. A chart in an export
 * carries its data inline (the contract says so), and a URL in one would make the document depend
 * on, or leak, something outside the ledger: every load is refused, and noted, because vega only
 * logs a failed load and would draw the chart empty.
 */
function refusingLoader(): { loader: vega.Loader; attempted: () => string | undefined } {
  let attempt: string | undefined;
  const refuse = (uri: unknown): Promise<never> => {
    attempt ??= String(uri);
    return Promise.reject(new Error(LOADING_REFUSED));
  };
  return { loader: { ...vega.loader(), load: refuse, sanitize: refuse, http: refuse, file: refuse }, attempted: () => attempt };
}

/** A page-friendly size for charts that do not set one (vega-lite's default is a 300 x 300 square). */
const DEFAULT_CONFIG = { view: { continuousWidth: 440, continuousHeight: 200 } };

/**
 * A vega-lite specification to SVG text, headless: vega's scenegraph renders SVG without a browser
 * or canvas (text widths are estimated rather than measured, which only affects label spacing).
 */
export async function vegaLiteToSvg(title: string, spec: Record<string, unknown>): Promise<{ svg: string; width: number; height: number }> {
  let view: vega.View | undefined;
  try {
    const config = { ...DEFAULT_CONFIG, ...(spec.config as Record<string, unknown> | undefined) };
    const compiled = vegaLite.compile({ ...spec, config } as unknown as vegaLite.TopLevelSpec).spec;
    const { loader, attempted } = refusingLoader();
    view = new vega.View(vega.parse(compiled), { renderer: 'none', loader, logLevel: vega.None });
    const svg = await view.toSVG();
    if (attempted() !== undefined) throw new Error(`${LOADING_REFUSED} (${attempted()})`);
    const match = /^<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
    if (!match) throw new Error('vega produced no sized SVG');
    return { svg, width: Number(match[1]), height: Number(match[2]) };
  } catch (error) {
    throw new PdfChartFailed(title, error instanceof Error ? error.message : String(error));
  } finally {
    view?.finalize();
  }
}
