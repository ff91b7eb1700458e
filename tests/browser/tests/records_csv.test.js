// The dashboard's CSV module on its own (no browser): quoting, parsing of quoted commas,
// quotes and line breaks, and the field-typed conversions the records import uses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { toCsv, parseCsv, csvValue, fromCsvValue } from "../../../ui/src/lib/records/csv.js";

test("CSV text round-trips through toCsv and parseCsv", () => {
  const rows = [
    ["id", "title", "meta"],
    ["a1", 'say "hi", friend', '{"k":[1]}'],
    ["a2", "line\nbreak\r\nand more", ""],
    ["a3", "", "plain"],
  ];
  const text = toCsv(rows);
  assert.equal(text.split("\r\n")[1], 'a1,"say ""hi"", friend","{""k"":[1]}"');
  assert.deepEqual(parseCsv(text), rows);
  assert.deepEqual(parseCsv("\uFEFFa,b\n1,2\n\n"), [
    ["a", "b"],
    ["1", "2"],
  ]);
  assert.deepEqual(parseCsv('x,"unterminated'), [["x", "unterminated"]]);
});

test("field values become CSV text and back by field type", () => {
  assert.equal(csvValue({ type: "relation" }, ["r1", "r2"]), '["r1","r2"]');
  assert.equal(csvValue({ type: "json" }, { a: 1 }), '{"a":1}');
  assert.equal(csvValue({ type: "json" }, "text"), '"text"');
  assert.equal(csvValue({ type: "number" }, 0), "0");
  assert.equal(csvValue({ type: "json" }, null), "");
  assert.equal(fromCsvValue({ type: "number" }, " 2.5 "), 2.5);
  assert.equal(fromCsvValue({ type: "number" }, ""), null);
  assert.equal(fromCsvValue({ type: "bool" }, "TRUE"), true);
  assert.equal(fromCsvValue({ type: "bool" }, "false"), false);
  assert.deepEqual(fromCsvValue({ type: "json" }, '{"a":[1]}'), { a: [1] });
  assert.deepEqual(fromCsvValue({ type: "relation", maxSelect: 3 }, '["r1","r2"]'), ["r1", "r2"]);
  assert.deepEqual(fromCsvValue({ type: "select", maxSelect: 3 }, "x, y"), ["x", "y"]);
  assert.equal(fromCsvValue({ type: "select", maxSelect: 1 }, "x"), "x");
  assert.deepEqual(fromCsvValue({ type: "geoPoint" }, '{"lon":1,"lat":2}'), { lon: 1, lat: 2 });
  assert.equal(fromCsvValue({ type: "text" }, " keep spaces "), " keep spaces ");
  assert.throws(() => fromCsvValue({ type: "json" }, "{nope"));
});
