import { XMLParser, XMLValidator } from "fast-xml-parser";

/** Reads a Hadoop *-site.xml back the way Hadoop's Configuration sees it: name -> value. */
export function readHadoopXml(xml: string): Record<string, string> {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  const document = new XMLParser({ parseTagValue: false, trimValues: false, isArray: (name) => name === "property" }).parse(xml);
  const properties: { name: string; value: string }[] = document.configuration.property ?? [];
  return Object.fromEntries(properties.map((p) => [p.name, p.value]));
}
