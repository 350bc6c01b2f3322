#!/usr/bin/env python3
"""Derives config/taxonomy/iptc-mediatopics.tsv from IPTC's full Media Topics vocabulary.

Usage:
  python3 config/taxonomy/derive-iptc-mediatopics.py cptall-en-GB.json > iptc-mediatopics.tsv

The input is IPTC's "cptall" JSON export of the Media Topics NewsCodes in en-GB, from the CV
server at http://cv.iptc.org/newscodes/mediatopic/ (see config/taxonomy/README.md). The output
keeps only the columns the daemon needs (code, parent, retired, label, Wikidata QID), one concept
a line, sorted by code, after a comment header with the source, release date, licence and
attribution.

Standard library only. Fails rather than guesses when the input does not fit the format (several
broader concepts, several Wikidata ids, a label with a tab or line break), because the TSV has one
column for each and a silent choice would change the taxonomy.
"""

import json
import re
import sys

CODE_PATTERN = re.compile(r"medtop:\d{8}")
MEDIA_TOPIC_URI_PREFIX = "http://cv.iptc.org/newscodes/mediatopic/"
WIKIDATA_PATTERN = re.compile(r"https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/(Q\d+)")
LANGUAGE = "en-GB"


def fail(message):
    sys.exit(f"derive-iptc-mediatopics: {message}")


def to_code(reference):
    """Broader concepts are given as URIs in the JSON export, qcodes elsewhere; accept both."""
    if reference.startswith(MEDIA_TOPIC_URI_PREFIX):
        reference = "medtop:" + reference[len(MEDIA_TOPIC_URI_PREFIX):]
    if not CODE_PATTERN.fullmatch(reference):
        fail(f"not a Media Topic reference: {reference!r}")
    return reference


def row_of(concept):
    code = to_code(concept.get("qcode", ""))
    broader = concept.get("broader") or []
    if len(broader) > 1:
        fail(f"{code} has {len(broader)} broader concepts; the TSV has one parent column")
    parent = to_code(broader[0]) if broader else ""
    retired = "retired" if concept.get("retired") else ""
    label = (concept.get("prefLabel") or {}).get(LANGUAGE, "")
    if not label or label != label.strip() or any(c in label for c in "\t\r\n"):
        fail(f"{code} has an empty label or one with a tab, line break or outer blanks: {label!r}")
    wikidata_ids = []
    for match in concept.get("exactMatch") or []:
        found = WIKIDATA_PATTERN.fullmatch(match)
        if found and found.group(1) not in wikidata_ids:
            wikidata_ids.append(found.group(1))
    if len(wikidata_ids) > 1:
        fail(f"{code} has several Wikidata exact matches: {wikidata_ids}")
    wikidata = wikidata_ids[0] if wikidata_ids else ""
    return code, parent, retired, label, wikidata


def main():
    if len(sys.argv) != 2:
        fail("usage: derive-iptc-mediatopics.py cptall-en-GB.json > iptc-mediatopics.tsv")
    with open(sys.argv[1], encoding="utf-8") as source:
        vocabulary = json.load(source)

    rows = sorted(row_of(concept) for concept in vocabulary["conceptSet"])
    codes = [row[0] for row in rows]
    if len(set(codes)) != len(codes):
        fail("duplicate qcodes in the input")
    known = set(codes)
    for code, parent, *_ in rows:
        if parent and parent not in known:
            fail(f"{code} has a parent that is not in the vocabulary: {parent}")

    released = vocabulary.get("dateReleased", "")[:10]
    top_level = sum(1 for row in rows if not row[1])
    retired = sum(1 for row in rows if row[2])
    output = sys.stdout
    output.reconfigure(encoding="utf-8", newline="\n")
    output.write(
        "# IPTC Media Topics (en-GB), the news industry's subject taxonomy.\n"
        f"# Source: {vocabulary.get('uri', MEDIA_TOPIC_URI_PREFIX)} (cptall-en-GB.json), "
        f"released {released}.\n"
        "# Licence: Creative Commons Attribution 4.0 International (CC BY 4.0),\n"
        "#   https://creativecommons.org/licenses/by/4.0/\n"
        "# © IPTC - International Press Telecommunications Council, "
        "https://iptc.org/standards/media-topics/\n"
        "# Changes: derived from the source by config/taxonomy/derive-iptc-mediatopics.py, which\n"
        "#   selects the columns below and sorts by code; labels and codes are unchanged.\n"
        f"# {len(rows)} concepts, {top_level} top-level, {retired} retired.\n"
        "# Columns (tab-separated): code, parent, retired, label, wikidata\n"
    )
    for row in rows:
        output.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()
