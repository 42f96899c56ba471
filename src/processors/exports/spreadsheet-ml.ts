/**
 * The parts of an XLSX package (ECMA-376 SpreadsheetML) that RAIA's streaming writer produces: the
 * package's fixed parts, a worksheet's head and tail, and rows of typed cells with inline strings.
 * exceljs's streaming writer ran at about 23,000 rows/s of a 16-column audit log here, less than
 * the 30,000 events/s an export must reach, so rows are written as XML text directly; exceljs
 * still reads the files back (verification), an independent check that they are well formed.
 */

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

/** Cell styles (indexes into styles.xml's cellXfs). */
export const CELL_STYLE = { plain: 0, header: 1, integer: 2, percent: 3, date: 4 } as const;
export type CellStyle = (typeof CELL_STYLE)[keyof typeof CELL_STYLE];

const DATE_FORMAT = 'yyyy-mm-dd hh:mm:ss.000';

export const stylesXml = () =>
  `${XML_HEAD}<styleSheet xmlns="${MAIN_NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="${DATE_FORMAT}"/></numFmts>` +
  '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
  '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>' +
  '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>';

export const sheetPartName = (n: number) => `xl/worksheets/sheet${n}.xml`;

export function contentTypesXml(sheetCount: number): string {
  const sheets = Array.from({ length: sheetCount }, (_, i) => `<Override PartName="/${sheetPartName(i + 1)}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`).join('');
  return (
    `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>' +
    `<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>${sheets}</Types>`
  );
}

export const packageRelsXml = () =>
  `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">` +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>' +
  '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>' +
  '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>';

export const corePropsXml = (creator: string, created: Date) =>
  `${XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
  `<dc:creator>${xmlText(creator)}</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">${created.toISOString().replace(/\.\d{3}Z$/, 'Z')}</dcterms:created></cp:coreProperties>`;

export const appPropsXml = () => `${XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>RAIA</Application></Properties>`;

export function workbookXml(sheetNames: string[]): string {
  const sheets = sheetNames.map((name, i) => `<sheet name="${xmlText(name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('');
  return `${XML_HEAD}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><bookViews><workbookView/></bookViews><sheets>${sheets}</sheets></workbook>`;
}

export function workbookRelsXml(sheetCount: number): string {
  const sheets = Array.from({ length: sheetCount }, (_, i) => `<Relationship Id="rId${i + 1}" Type="${REL_NS}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`).join('');
  return `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">${sheets}<Relationship Id="rId${sheetCount + 1}" Type="${REL_NS}/styles" Target="styles.xml"/></Relationships>`;
}

/** A worksheet's XML up to its first row: the frozen header pane and the columns' widths and styles. */
export function worksheetHead(columns: ReadonlyArray<{ width: number; style: CellStyle }>, frozenHeader: boolean): string {
  const view = frozenHeader
    ? '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
    : '<sheetViews><sheetView workbookViewId="0"/></sheetViews>';
  const cols = columns.length === 0 ? '' : `<cols>${columns.map((c, i) => `<col min="${i + 1}" max="${i + 1}" width="${c.width}" customWidth="1"${c.style === CELL_STYLE.plain ? '' : ` style="${c.style}"`}/>`).join('')}</cols>`;
  return `${XML_HEAD}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">${view}<sheetFormatPr defaultRowHeight="15"/>${cols}<sheetData>`;
}

export const WORKSHEET_TAIL = '</sheetData></worksheet>';

/** A1-style column letters of a 0-based column index. */
export function columnLetters(index: number): string {
  let letters = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

// Characters XML 1.0 cannot hold (controls other than tab, LF, CR; U+FFFE, U+FFFF) and lone surrogates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const XML_SPECIAL = /[&<>"]/;
const XML_SPECIAL_ALL = /[&<>"]/g;
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Any character `cellText` may change: a control character (CR among them), U+FFFE, U+FFFF or a surrogate, paired or not. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const MAY_CHANGE = /[\u0000-\u0008\u000b-\u001f\ufffe\uffff\ud800-\udfff]/;

/**
 * Text as a cell can hold it: characters XML 1.0 cannot carry are dropped (as exceljs drops them),
 * CR LF and lone CR become LF (as XML parsers normalise line ends). Most text has none of them: one
 * test then, instead of two replacements (a million-row export makes 13 million cells).
 */
export const cellText = (text: string): string => (MAY_CHANGE.test(text) ? text.replace(NOT_XML, '').replace(/\r\n?/g, '\n') : text);

/** Text escaped for XML content or an attribute value. */
export const xmlText = (text: string): string => (XML_SPECIAL.test(text) ? text.replace(XML_SPECIAL_ALL, (c) => ENTITY[c]!) : text);

const CONTENT_SPECIAL = /[&<>]/;
const CONTENT_SPECIAL_ALL = /[&<>]/g;

/**
 * Text escaped for element content: `&`, `<` and `>` (`"` needs escaping in attribute values
 * only, and the JSON of every event's data is full of them).
 */
export const xmlContent = (text: string): string => (CONTENT_SPECIAL.test(text) ? text.replace(CONTENT_SPECIAL_ALL, (c) => ENTITY[c]!) : text);

/** Excel's 1900 date system: days since 1899-12-30, as exceljs reads them back. */
export const excelSerial = (ms: number): number => ms / 86_400_000 + 25_569;

/** One cell's XML; `ref` its A1 reference. Text must already be `cellText`. */
export function numberCell(ref: string, value: number, style: CellStyle): string {
  return style === CELL_STYLE.plain ? `<c r="${ref}"><v>${value}</v></c>` : `<c r="${ref}" s="${style}"><v>${value}</v></c>`;
}
export function textCell(ref: string, text: string, style: CellStyle): string {
  return `<c r="${ref}"${style === CELL_STYLE.plain ? '' : ` s="${style}"`} t="inlineStr"><is><t xml:space="preserve">${xmlContent(text)}</t></is></c>`;
}
export const booleanCell = (ref: string, value: boolean): string => `<c r="${ref}" t="b"><v>${value ? 1 : 0}</v></c>`;
