import { describe, expect, it } from "vitest";
import { csvCell, csvLine } from "../../src/csv.js";

describe("csvLine", () => {
  it("leaves plain cells alone and writes undefined as an empty cell", () => {
    expect(csvLine(["a", 1, undefined, "12.50"])).toBe("a,1,,12.50");
  });

  it("quotes cells with a comma, a quote or a line break, doubling quotes (RFC 4180)", () => {
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell("cr\r")).toBe('"cr\r"');
    expect(csvLine(["x", "café, deux"])).toBe('x,"café, deux"');
  });
});
