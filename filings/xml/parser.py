"""Reading a fuel tax return file: safely, in one streaming pass, in bounded memory, reporting every error.

Safety. lxml parses with `no_network=True, load_dtd=False` and never resolves an external entity (nothing
outside the file is ever read), and a DOCTYPE is refused outright, before the body is read, by a first look
at the file with `resolve_entities=False`: a TRACS file has no use for a DTD, and a DTD is how "billion
laughs" (entities expanding without limit) and external entities (`<!ENTITY x SYSTEM "file:///etc/passwd">`)
get in. `huge_tree` stays off: libxml2 keeps its limits on the depth of the tree and the size of one text
node (10 MB), which no valid file comes near (a 50 MB return is many small records, not one big one). The
file must be UTF-8 (the format says so; UTF-16 and other declared encodings are refused with a clear
message, and invalid bytes stop the reading at their line).

Streaming. lxml's pull parser (iterparse fed by chunks) yields each element as it ends. When a record ends (the Header, a Line, a
Transaction: the elements the XSD declares globally), it is validated on its own against its global
declaration (`XMLSchema.validate(element)` validates a subtree as if it were a document), so each error
carries its source line number and its path, and reading goes on after an error: all errors are collected,
not only the first. The record is then cleared and removed from the tree, so memory holds one record at a
time, whatever the size of the file. (Validating with `iterparse(schema=...)` reports errors only at the end,
without line or path; a full tree costs about ten times the file.) The few elements around the records (the
root, Lines and Schedule) are checked here, as the XSD declares them (tests/filings/test_xml_parser.py checks
the reader against full-document validation). Events are raised for our own elements only (lxml filters the
tags in C), so a record costs one trip into Python. Elements that belong nowhere are reported when the
record or container around them ends; more than MAX_GAP_BYTES read without a record ending (junk where
records belong, or one swollen record) stops the reading, so even a hostile file cannot grow the tree.

Errors are kept in an `ErrorList`: the first MAX_ERRORS_LISTED with their line and path, and the count of all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from lxml import etree

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from filings.xml.messages import UNEXPECTED_ATTRIBUTE, schema_message
from filings.xml.records import (
    HEADER_PATH,
    LINE_PATH,
    MAX_ERRORS_LISTED,  # noqa: F401 (the upload page reads the limit from the reader it configures)
    TRANSACTION_PATH,
    ErrorList,
    HeaderRecord,
    LineRecord,
    Record,
    TransactionRecord,
    megabytes,
)
from filings.xml.schema import (
    HEADER,
    LINE,
    LINES,
    NAMESPACE,
    ROOT,
    SCHEDULE,
    TRANSACTION,
    xml_schema,
)

CHUNK_BYTES = 64 * 1024
MAX_GAP_BYTES = 1024 * 1024  # a record is a few hundred bytes; a megabyte without one ending is no return
MAX_LINES = 1000  # a return has one line per fuel and category, a few dozen at most
HEAD_BYTES = 4096  # enough for the XML declaration, a DOCTYPE's start and the root element

EMPTY_FILE = _("The file is empty.")
NOT_XML = _("The file is not XML (%(detail)s). Upload the fuel tax return as an XML file.")
NOT_WELL_FORMED = _("The file is not well-formed XML: %(detail)s.")
NOT_UTF8 = _(
    "The file must be encoded in UTF-8; this one is in %(encoding)s. Save it as UTF-8 and upload it again."
)
INVALID_UTF8 = _(
    "The file is not valid UTF-8: it contains bytes that are not UTF-8 text (%(detail)s). Save it as UTF-8 and upload it again."
)
DOCTYPE_REFUSED = _(
    "The file contains a DOCTYPE declaration. TRACS refuses DTDs and entities, which can make a file read other "
    "files or expand without limit: remove the DOCTYPE and any entity references (&name;)."
)
WRONG_NAMESPACE = _(
    "The root element is in the namespace “%(found)s”; a TRACS fuel tax return is in the namespace “%(expected)s”."
)
NO_NAMESPACE = _(
    'The root element has no namespace; a TRACS fuel tax return starts with <FuelTaxReturn xmlns="%(expected)s">.'
)
WRONG_ROOT = _("The root element is “%(found)s”; a TRACS fuel tax return starts with <FuelTaxReturn>.")
UNEXPECTED_ELEMENT = _("Element “%(name)s” is not expected here.")
TEXT_NOT_ALLOWED = _("Text is not allowed here (“%(text)s”).")
MISSING_ELEMENT = _("Element “%(name)s” is missing from “%(parent)s”.")
OUT_OF_ORDER = _(
    "Element “%(name)s” is out of order: a return has a Header, then Lines, then an optional Schedule."
)
DUPLICATE_ELEMENT = _("Element “%(name)s” appears more than once; a return has one.")
EMPTY_SCHEDULE = _("A Schedule lists at least one Transaction; leave the Schedule out if there is none.")
NO_RECORD_END = _(
    "More than %(size)s of the file up to this line holds no complete Header, Line or Transaction; reading "
    "stops here. Check the file's structure against the schema."
)
TOO_MANY_LINES = _("A return has at most %(limit)s lines (one per fuel and category); the rest are skipped.")

_LIBXML_LOCATION = re.compile(r", line \d+, column \d+$")
_STEP = re.compile(r"([^/\[]+)(?:\[(\d+)\])?")
_DECLARED_ENCODING = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\sencoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']"
)
_UTF8_NAMES = {"utf-8", "utf8"}
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


_LOCAL = {
    ROOT: "FuelTaxReturn",
    HEADER: "Header",
    LINES: "Lines",
    LINE: "Line",
    SCHEDULE: "Schedule",
    TRANSACTION: "Transaction",
}
_PARENT = {HEADER: ROOT, LINE: LINES, TRANSACTION: SCHEDULE, LINES: ROOT, SCHEDULE: ROOT}
_TOP_LEVEL_ORDER = (HEADER, LINES, SCHEDULE)
_RECORD_TAGS = frozenset({HEADER, LINE, TRANSACTION})
_OWN_TAGS = [ROOT, HEADER, LINES, LINE, SCHEDULE, TRANSACTION]


def local_name(element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # pragma: no cover - comments and PIs are removed while parsing
        return "#comment"
    return tag.rpartition("}")[2]


def _element_path(element) -> str:
    names = []
    while element is not None:
        names.append(local_name(element))
        element = element.getparent()
    return "/" + "/".join(reversed(names))


def _detail_path(record, record_path: str, libxml_path: str | None) -> str:
    """`/*/*[3]/*` (libxml2's path inside the record validated as a document) -> `…/Counterparty/BIN`."""
    if not libxml_path:
        return record_path
    steps = [step for step in libxml_path.split("/") if step][1:]  # the first step is the record itself
    node, path = record, record_path
    for step in steps:
        match = _STEP.fullmatch(step)
        if node is None or match is None or step.startswith("@"):
            path += "/" + step
            node = None
            continue
        name, position = match.group(1), int(match.group(2) or 1)
        wanted = name.rpartition(":")[2]
        children = [child for child in node if name == "*" or local_name(child) == wanted]
        node = children[position - 1] if position <= len(children) else None
        path += "/" + (local_name(node) if node is not None else step)
    return path


def _parent_name(path: str) -> str | None:
    """`/FuelTaxReturn/Lines/Line[3]/Litres` -> `Line`: the element the one at fault sits in."""
    steps = path.rsplit("/", 2)
    return steps[-2].partition("[")[0] if len(steps) == 3 else None


def _syntax_detail(error: etree.XMLSyntaxError) -> str:
    return _LIBXML_LOCATION.sub("", error.msg or str(error)).strip().rstrip(".")


@contextmanager
def _binary(source: str | Path | IO[bytes]) -> Iterator[IO[bytes]]:
    if isinstance(source, (str, Path)):
        with open(source, "rb") as file:
            yield file
    else:
        source.seek(0)
        yield source


def _encoding_problem(head: bytes) -> str | None:
    """The encoding a file is in when it is not UTF-8, from its first bytes (byte order mark, or the
    declaration `<?xml ... encoding="..."?>`); None when it is UTF-8 (declared, or by default)."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00?\x00", b"\x00<\x00?", b"<\x00", b"\x00<")):
        return "UTF-16"
    declared = _DECLARED_ENCODING.match(head)
    if declared and declared.group(1).decode("ascii").lower() not in _UTF8_NAMES:
        return declared.group(1).decode("ascii")
    return None


def _line_of(head: bytes, marker: bytes) -> int | None:
    position = head.find(marker)
    return head.count(b"\n", 0, position) + 1 if position >= 0 else None


@dataclass(frozen=True)
class Document:
    """What the first look at a file checks of its format: the root element, its namespace, and the words
    of each refusal (each format names its own return)."""

    root: str  # as lxml spells it: "{namespace}Local"
    name: str  # the root's local name
    namespace: str
    not_xml: StrOrPromise
    wrong_namespace: StrOrPromise
    no_namespace: StrOrPromise
    wrong_root: StrOrPromise


FUEL_TAX_DOCUMENT = Document(
    root=ROOT,
    name="FuelTaxReturn",
    namespace=NAMESPACE,
    not_xml=NOT_XML,
    wrong_namespace=WRONG_NAMESPACE,
    no_namespace=NO_NAMESPACE,
    wrong_root=WRONG_ROOT,
)


def syntax_error(
    errors: ErrorList, error: etree.XMLSyntaxError, document: Document, *, before_root: bool = False
) -> None:
    """A file lxml could not read, in words: not XML at all, not UTF-8, or not well-formed at its line."""
    detail = _syntax_detail(error)
    if error.code == etree.ErrorTypes.ERR_INVALID_ENCODING:
        message = INVALID_UTF8 % {"detail": detail}
    elif before_root and error.code in (
        etree.ErrorTypes.ERR_DOCUMENT_EMPTY,
        etree.ErrorTypes.ERR_DOCUMENT_START,
    ):
        message = document.not_xml % {"detail": detail}
    else:
        message = NOT_WELL_FORMED % {"detail": detail}
    errors.add(error.lineno or None, "", message)


def preflight(file: IO[bytes], errors: ErrorList, document: Document):
    """The first look at a file, before its body is read: not empty, UTF-8, no DOCTYPE, the format's root
    element in its namespace. The root element (its attributes read), or None with the refusal in `errors`."""
    head = file.read(HEAD_BYTES)
    if not head.strip():
        errors.add(None, "", EMPTY_FILE)
        return None
    encoding = _encoding_problem(head)
    if encoding is not None:
        errors.add(1, "", NOT_UTF8 % {"encoding": encoding})
        return None
    file.seek(0)
    try:
        _event, root = next(
            etree.iterparse(file, events=("start",), resolve_entities=False, no_network=True, load_dtd=False)
        )
    except StopIteration:  # pragma: no cover - libxml2 raises "no element found" instead
        errors.add(None, "", EMPTY_FILE)
        return None
    except etree.XMLSyntaxError as error:
        syntax_error(errors, error, document, before_root=True)
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        errors.add(_line_of(head, b"<!DOCTYPE"), "", DOCTYPE_REFUSED)
        return None
    if root.tag != document.root:
        namespace, _brace, name = (
            root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
        )
        if name == document.name and not namespace:
            message = document.no_namespace % {"expected": document.namespace}
        elif name == document.name or (namespace and namespace != document.namespace):
            message = document.wrong_namespace % {"found": namespace, "expected": document.namespace}
        else:
            message = document.wrong_root % {"found": name}
        errors.add(root.sourceline, "/" + name, message)
        return None
    return root


class ReturnReader:
    """One pass over one file. Iterate `records()` to get the records that passed the schema, in file order;
    errors go to `errors`. `fatal` is set when reading had to stop (not XML, refused, not well-formed):
    then nothing read so far may be filed."""

    def __init__(self, source: str | Path | IO[bytes], errors: ErrorList):
        self.source = source
        self.errors = errors
        self.fatal = False
        self.invalid_records = 0
        self.line_count = 0
        self.transaction_count = 0
        self.schedule_present = False

    def records(self) -> Iterator[Record]:
        with _binary(self.source) as file:
            if not self._preflight(file):
                self.fatal = True
                return
            file.seek(0)
            yield from self._stream(file)

    # --- Before reading: encoding, DOCTYPE, root element ------------------------------------------------

    def _preflight(self, file: IO[bytes]) -> bool:
        root = preflight(file, self.errors, FUEL_TAX_DOCUMENT)
        if root is None:
            return False
        for attribute in root.attrib:
            if not attribute.startswith("{" + _XSI + "}"):  # xsi:schemaLocation is a hint some tools write
                self.errors.add(
                    root.sourceline,
                    "/FuelTaxReturn",
                    UNEXPECTED_ATTRIBUTE % {"name": attribute, "element": "FuelTaxReturn"},
                )
        return True

    def _syntax_error(self, error: etree.XMLSyntaxError) -> None:
        syntax_error(self.errors, error, FUEL_TAX_DOCUMENT)

    # --- The records ------------------------------------------------------------------------------------

    def _stream(self, file: IO[bytes]) -> Iterator[Record]:
        schema = xml_schema()
        errors = self.errors
        top_level: list[tuple[str, int]] = []
        # Events for our own elements only (the filter runs in C); anything else stays in the tree until the
        # record or container it sits in ends, and is reported then. A gap of more than MAX_GAP_BYTES
        # without a record ending cannot be a valid file (a record is a few hundred bytes): reading stops.
        parser = etree.XMLPullParser(
            events=("end",),
            tag=_OWN_TAGS,
            # The DOCTYPE was refused before this pass, so no entity can be declared: "internal" (lxml's
            # default, never external) resolves nothing here. It is used rather than False because lxml's
            # pull parser with False stops silently at an undefined reference (&name;) instead of saying where.
            resolve_entities="internal",
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        gap = 0
        lines_read = 1
        while True:
            chunk = file.read(CHUNK_BYTES)
            failure = None
            try:
                if chunk:
                    parser.feed(chunk)
                else:
                    parser.close()
            except etree.XMLSyntaxError as error:  # the records ended before the error still count
                failure = error
            ended = False
            for _event, element in parser.read_events():
                ended = True
                tag = element.tag
                if tag in _RECORD_TAGS:
                    record = self._record(schema, element, tag, top_level)
                    if record is None:
                        continue
                    if tag == LINE and self.line_count > MAX_LINES:
                        if self.line_count == MAX_LINES + 1:
                            errors.add(
                                record.line, LINE_PATH % record.index, TOO_MANY_LINES % {"limit": MAX_LINES}
                            )
                        continue
                    yield record
                elif tag == ROOT:
                    self._root(element, top_level)
                else:
                    self._container(element, tag, top_level)
            if failure is not None:
                self._syntax_error(failure)
                self.fatal = True
                return
            if not chunk:
                return
            lines_read += chunk.count(b"\n")
            gap = 0 if ended else gap + len(chunk)
            if gap > MAX_GAP_BYTES:
                errors.add(lines_read, "", NO_RECORD_END % {"size": megabytes(MAX_GAP_BYTES)})
                self.fatal = True
                return

    def _unexpected(self, element, parent) -> None:
        self.errors.add(
            element.sourceline, _element_path(element), UNEXPECTED_ELEMENT % {"name": local_name(element)}
        )
        parent.remove(element)

    def _text_around(self, element, path: str) -> None:
        tail = element.tail
        if tail and not tail.isspace():
            self.errors.add(element.sourceline, path, TEXT_NOT_ALLOWED % {"text": tail.strip()[:40]})

    def _record(self, schema, element, tag: str, top_level) -> Record | None:
        """Validate one ended record against its global declaration, read it if valid, and drop it."""
        parent = element.getparent()
        if parent is None or parent.tag != _PARENT[tag]:
            self._unexpected(element, parent)
            return None
        previous = element.getprevious()
        while previous is not None:  # an element that belongs nowhere, left before this record
            self._unexpected(previous, parent)
            previous = element.getprevious()
        if tag == TRANSACTION:
            self.transaction_count += 1
            path = TRANSACTION_PATH % self.transaction_count
        elif tag == LINE:
            self.line_count += 1
            path = LINE_PATH % self.line_count
        else:
            path = HEADER_PATH
            top_level.append((tag, element.sourceline))
        self._text_around(element, path)
        record = None
        if schema.validate(element):
            record = self._read(element, tag, path)
        else:
            self.invalid_records += 1
            reported = set()
            for entry in schema.error_log:
                at = _detail_path(element, path, entry.path)
                message = schema_message(entry.message, parent=_parent_name(at))
                if (
                    at,
                    message,
                ) not in reported:  # libxml2 says an empty value breaks both minLength and pattern
                    reported.add((at, message))
                    self.errors.add(entry.line, at, message)
        element.clear(keep_tail=False)
        parent.remove(element)
        return record

    def _read(self, element, tag: str, path: str) -> Record:
        # The record is valid: its children are there, in the order the XSD gives.
        line = element.sourceline
        if tag == TRANSACTION:
            counterparty = element[2][0]
            return TransactionRecord(
                self.transaction_count,
                line,
                element[0].text.strip(),
                element[1].text,
                f"{local_name(counterparty)} {counterparty.text}",
                element[3].text,
                element[4].text,
                element[5].text,
            )
        if tag == LINE:
            return LineRecord(self.line_count, line, element[0].text, element[1].text, element[2].text)
        software = element[2].text if len(element) > 2 else ""
        return HeaderRecord(
            element[0].text, element[1].text, software, line, element[0].sourceline, element[1].sourceline
        )

    def _container(self, element, tag: str, top_level) -> None:
        """Lines or Schedule ended: their records are gone, so whatever is left in them is out of place."""
        parent = element.getparent()
        if parent is None or parent.tag != ROOT:
            self._unexpected(element, parent)
            return
        path = "/FuelTaxReturn/" + _LOCAL[tag]
        top_level.append((tag, element.sourceline))
        if tag == SCHEDULE:
            self.schedule_present = True
            if self.transaction_count == 0:
                self.errors.add(element.sourceline, path, EMPTY_SCHEDULE)
        for attribute in element.attrib:
            self.errors.add(
                element.sourceline, path, UNEXPECTED_ATTRIBUTE % {"name": attribute, "element": _LOCAL[tag]}
            )
        if element.text and not element.text.isspace():
            self.errors.add(element.sourceline, path, TEXT_NOT_ALLOWED % {"text": element.text.strip()[:40]})
        for child in list(element):
            self._unexpected(child, element)
        self._text_around(element, path)
        element.clear(keep_tail=False)
        parent.remove(element)

    def _root(self, element, top_level) -> None:
        if element.text and not element.text.isspace():
            self.errors.add(
                element.sourceline, "/FuelTaxReturn", TEXT_NOT_ALLOWED % {"text": element.text.strip()[:40]}
            )
        for child in list(element):
            self._unexpected(child, element)
        self._top_level_order(element.sourceline, top_level)
        element.clear()

    def _top_level_order(self, root_line: int, top_level: list[tuple[str, int]]) -> None:
        seen: set[str] = set()
        position = 0
        for tag, line in top_level:
            name = _LOCAL[tag]
            if tag in seen:
                self.errors.add(line, "/FuelTaxReturn/" + name, DUPLICATE_ELEMENT % {"name": name})
                continue
            seen.add(tag)
            order = _TOP_LEVEL_ORDER.index(tag)
            if order < position:
                self.errors.add(line, "/FuelTaxReturn/" + name, OUT_OF_ORDER % {"name": name})
            position = max(position, order)
        for tag in (HEADER, LINES):
            if tag not in seen:
                self.errors.add(
                    root_line,
                    "/FuelTaxReturn",
                    MISSING_ELEMENT % {"name": _LOCAL[tag], "parent": "FuelTaxReturn"},
                )
