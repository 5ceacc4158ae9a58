"""Hardened XML parsing for untrusted BPMN and DMN uploads.

Models come from browsers and imports, so they are hostile input: no DTDs
(billion laughs, external entities such as `file:///etc/passwd`), no network,
no huge trees, and a size cap. Everything else in `engine.models.bpmn` parses XML only
through `parse_xml`.
"""

import re

from lxml import etree

from engine.errors import ModelError
from engine.models.bpmn.problems import Problem

MAX_MODEL_BYTES = 5 * 1024 * 1024

BPMN_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL'
SPIFF_NS = 'http://spiffworkflow.org/bpmn/schema/1.0/core'
NSMAP = {'bpmn': BPMN_NS, 'spiffworkflow': SPIFF_NS}
PREFIXES = {
    BPMN_NS: 'bpmn',
    'http://www.omg.org/spec/BPMN/20100524/DI': 'bpmndi',
    'http://www.omg.org/spec/DD/20100524/DC': 'dc',
    'http://www.omg.org/spec/DD/20100524/DI': 'di',
    SPIFF_NS: 'spiffworkflow',
}

_BOMS = (
    (b'\xef\xbb\xbf', 'utf-8'),
    (b'\xff\xfe\x00\x00', 'utf-32-le'),
    (b'\x00\x00\xfe\xff', 'utf-32-be'),
    (b'\xff\xfe', 'utf-16-le'),
    (b'\xfe\xff', 'utf-16-be'),
)
_NO_BOM_UTF16 = ((b'<\x00?\x00', 'utf-16-le'), (b'\x00<\x00?', 'utf-16-be'))


def _new_parser():
    """A fresh parser per call: cheap, and never shared between threads."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def _refuse(filename, line, rule_message):
    where = f'{filename}, line {line}' if line is not None else filename
    problem = Problem(filename, line, None, 'error', 'xml', rule_message)
    return ModelError(f'{where}: {rule_message}', problems=[problem])


def _head_text(content: bytes) -> str:
    """The start of the document as text, good enough to read its prolog."""
    head = content[:64 * 1024]
    for bom, encoding in _BOMS + _NO_BOM_UTF16:
        if head.startswith(bom):
            return head.decode(encoding, errors='replace').lstrip('\ufeff')
    # Every other encoding a model may declare is ASCII-compatible for markup.
    return head.decode('latin-1')


def _declaration_line(content: bytes) -> int | None:
    """The line of a DOCTYPE in the prolog, or None when the prolog has none.

    Only the prolog is read (before the root element), so text such as an
    HTML template inside a script's CDATA is not mistaken for a declaration.
    """
    text = _head_text(content)
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if text.startswith('<?', position):
            terminator = '?>'
        elif text.startswith('<!--', position):
            terminator = '-->'
        elif text.startswith('<!DOCTYPE', position) or text.startswith('<!ENTITY', position):
            return text.count('\n', 0, position) + 1
        else:
            return None
        end = text.find(terminator, position)
        if end < 0:
            return None
        position = end + len(terminator)


def parse_xml(content: bytes, filename: str) -> etree._Element:
    """Parse one model file safely; return its root element.

    Raises `ModelError` (with one `Problem`) for an oversized file, a DOCTYPE or
    ENTITY declaration, or malformed XML; the message names file and line.
    """
    if isinstance(content, (bytearray, memoryview)):
        content = bytes(content)
    if not isinstance(content, bytes):
        raise TypeError(f'parse_xml expects bytes, not {type(content).__name__}')
    if len(content) > MAX_MODEL_BYTES:
        raise _refuse(filename, None, (
            f'the file is {len(content):,} bytes; a model file may be at most '
            f'{MAX_MODEL_BYTES:,} bytes ({MAX_MODEL_BYTES // (1024 * 1024)} MiB)'))
    refused = ('DOCTYPE and ENTITY declarations are not allowed in models '
               '(they enable entity-expansion and external-entity attacks)')
    line = _declaration_line(content)
    if line is not None:
        raise _refuse(filename, line, refused)
    try:
        root = etree.fromstring(content, parser=_new_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.lineno, (exc.position[1] if exc.position else None)
        message = f'malformed XML at column {column}: {exc.msg}' if column else f'malformed XML: {exc.msg}'
        raise _refuse(filename, line, message) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        # Backstop for a prolog the scan above could not read.
        raise _refuse(filename, 1, refused)
    return root


def short_tag(tag) -> str:
    """`{namespace}local` as `prefix:local`, the way modellers read it."""
    qname = etree.QName(tag)
    prefix = PREFIXES.get(qname.namespace)
    if prefix is None and qname.namespace and 'omg.org/spec/DMN/' in qname.namespace:
        prefix = 'dmn'
    return f'{prefix}:{qname.localname}' if prefix else qname.text


def shorten_namespaces(text: str) -> str:
    """Rewrite every `{namespace}local` in a message (lxml's style) as `prefix:local`."""
    def replace(match):
        return short_tag(f'{{{match.group(1)}}}{match.group(2)}')
    return re.sub(r'\{([A-Za-z][\w+.-]*:[^}\s\']*)\}([A-Za-z_][\w.-]*)', replace, text)
