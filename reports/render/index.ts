/** The built-in renderers, by format name. */
import { unknownChoiceError } from "../../core/errors.ts";
import { FORMATS, type Format, type Renderer } from "./common.ts";
import { csvRenderer } from "./csv.ts";
import { emailRenderer } from "./email.ts";
import { htmlRenderer } from "./html.ts";
import { jsonRenderer } from "./json.ts";
import { markdownRenderer } from "./markdown.ts";
import { tableRenderer } from "./table.ts";

export { FORMATS, type Format, type Renderer, type RenderOptions } from "./common.ts";

/** Every built-in renderer, by format. */
export const RENDERERS: Readonly<Record<Format, Renderer>> = {
  table: tableRenderer,
  markdown: markdownRenderer,
  email: emailRenderer,
  csv: csvRenderer,
  json: jsonRenderer,
  html: htmlRenderer,
};

/** The renderer of a format name; unknown names are a UserInputError with the choices. */
export function rendererFor(format: string): Renderer {
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw unknownChoiceError("format", format, FORMATS);
  }
  return RENDERERS[format as Format];
}
