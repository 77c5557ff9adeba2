// test/openapi/validate.mjs — validate an OpenAPI document (file argument)
// against the official OpenAPI 3.x JSON schema; exit 0 when valid, 1 with
// the errors printed otherwise.
import { Validator } from "@seriousme/openapi-schema-validator";
import { readFileSync } from "node:fs";

const doc = JSON.parse(readFileSync(process.argv[2], "utf8"));
const validator = new Validator();
const result = await validator.validate(doc);
if (result.valid) {
  console.log(`valid OpenAPI ${validator.version}`);
  process.exit(0);
}
console.log(JSON.stringify(result.errors, null, 2));
process.exit(1);
