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

describe("csvCell against spreadsheet formulas (CSV injection)", () => {
  it("prefixes a cell starting with =, +, -, @, tab or carriage return with '", () => {
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe('"\'=HYPERLINK(""http://evil"",""x"")"');
    expect(csvCell("=1+2")).toBe("'=1+2");
    expect(csvCell("+SUM(A1:A9)")).toBe("'+SUM(A1:A9)");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("-1.50")).toBe("'-1.50");
    expect(csvCell("@cmd")).toBe("'@cmd");
    expect(csvCell("\t=1")).toBe("'\t=1");
    expect(csvCell("\r=1")).toBe('"\'\r=1"');
    expect(csvLine(["r1", "=cmd|' /C calc'!A0"])).toBe("r1,'=cmd|' /C calc'!A0");
  });

  it("leaves decimals, ids and text with a formula character inside alone", () => {
    expect(csvLine(["12.50", 0, "order-1", "a=b", "refund: 1-2", "x@y"])).toBe(
      "12.50,0,order-1,a=b,refund: 1-2,x@y",
    );
  });
});
