#!/usr/bin/python3
"""Validates event values against docs/event.schema.json with python3-jsonschema (Debian's
python3-jsonschema), the JSON Schema project's reference implementation for Python: it checks the
schema itself against the metaschema its "$schema" names (draft-04), then every value with the
validator of that draft, with full regular expressions (RapidJSON's validator knows a subset).

Usage: validate_events.py SCHEMA EVENTS
EVENTS holds one `newswire process` line a line ({"channel", "key", "headers", "value"}).
Prints one line per violation ("line N: /json/pointer: message"), then "ok N" when every value of
the N lines is valid; exits 1 on any violation.
"""
import json
import sys

import jsonschema


def main():
    schema_path, events_path = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as schema_file:
        schema = json.load(schema_file)
    validator_class = jsonschema.validators.validator_for(schema, default=None)
    if validator_class is None:
        print("%s: unknown $schema %r" % (schema_path, schema.get("$schema")))
        return 1
    try:
        validator_class.check_schema(schema)
    except jsonschema.exceptions.SchemaError as error:
        print("%s is not a valid %s schema: %s" % (schema_path, validator_class.__name__, error))
        return 1
    validator = validator_class(schema)
    problems = 0
    lines = 0
    with open(events_path, encoding="utf-8") as events:
        for number, line in enumerate(events, start=1):
            lines += 1
            value = json.loads(line)["value"]
            for error in sorted(validator.iter_errors(value), key=lambda e: list(e.path)):
                pointer = "".join("/" + str(part) for part in error.absolute_path)
                print("line %d: %s: %s" % (number, pointer or "/", error.message))
                problems += 1
    if problems:
        return 1
    print("ok %d" % lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
