"""Hardened XML parsing: hostile or broken uploads become a ModelError naming file and line."""

import time
from pathlib import Path

import pytest

from engine.models.bpmn.xml import MAX_MODEL_BYTES, parse_xml
from engine.errors import ModelError

from tests.conftest import DATA
BPMN_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL'


def refusal(content, filename='processes/x.bpmn'):
    with pytest.raises(ModelError) as caught:
        parse_xml(content, filename)
    error = caught.value
    assert len(error.problems) == 1
    problem = error.problems[0]
    assert problem.file == filename and problem.severity == 'error' and problem.rule == 'xml'
    assert filename in str(error)
    return error, problem


def test_parses_a_model_and_keeps_source_lines():
    root = parse_xml((DATA / 'approval.bpmn').read_bytes(), 'approval.bpmn')
    assert root.tag == f'{{{BPMN_NS}}}definitions'
    task = root.xpath('//*[@id="Task_plan"]')[0]
    assert task.sourceline == 26


def test_keeps_comments_and_honours_declared_encoding():
    content = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<!-- note -->\n'
               '<a name="Fête"><!-- inner --></a>').encode('latin-1')
    root = parse_xml(content, 'latin.bpmn')
    assert root.get('name') == 'Fête'
    assert len(root) == 1  # the comment survived


def test_accepts_bytearray():
    assert parse_xml(bytearray(b'<a/>'), 'a.bpmn').tag == 'a'


def test_refuses_text_instead_of_bytes():
    with pytest.raises(TypeError):
        parse_xml('<a/>', 'a.bpmn')


def test_billion_laughs_is_refused_quickly_without_expansion():
    started = time.monotonic()
    error, problem = refusal((DATA / 'billion_laughs.bpmn').read_bytes(), 'billion_laughs.bpmn')
    assert time.monotonic() - started < 1
    assert problem.line == 2
    assert 'line 2' in str(error)
    assert 'DOCTYPE' in problem.message and 'ENTITY' in problem.message
    assert 'lollol' not in str(error)


def test_external_entity_is_refused_and_never_read():
    error, problem = refusal((DATA / 'xxe.bpmn').read_bytes(), 'xxe.bpmn')
    assert problem.line == 2
    assert 'root:' not in str(error)


def test_any_doctype_is_refused_even_without_entities():
    _, problem = refusal(b'<?xml version="1.0"?>\n<!-- a comment -->\n\n<!DOCTYPE a>\n<a/>')
    assert problem.line == 4


def test_external_dtd_is_refused():
    _, problem = refusal(b'<!DOCTYPE a SYSTEM "http://example.invalid/evil.dtd"><a/>')
    assert problem.line == 1


def test_utf16_doctype_is_refused():
    content = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE a [<!ENTITY e "x">]>\n<a>&e;</a>'
    _, problem = refusal(content.encode('utf-16'))
    assert problem.line == 2


def test_broken_doctype_is_refused_as_doctype_not_as_syntax():
    _, problem = refusal(b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">\n<a>')
    assert 'DOCTYPE' in problem.message


def test_doctype_text_inside_the_document_body_is_fine():
    content = (b'<?xml version="1.0"?>\n<definitions><script><![CDATA[\n'
               b'html = "<!DOCTYPE html><!ENTITY x>"\n]]></script></definitions>')
    root = parse_xml(content, 'template.bpmn')
    assert '<!DOCTYPE html>' in root[0].text


def test_malformed_xml_names_file_line_column_and_lxml_message():
    error, problem = refusal(b'<a>\n  <b>\n</a>\n', 'processes/bad.bpmn')
    assert problem.line == 3
    message = str(error)
    assert 'processes/bad.bpmn, line 3' in message
    assert 'column' in message
    assert 'Opening and ending tag mismatch' in message


@pytest.mark.parametrize('content', [b'', b'   ', b'not xml at all', b'{"json": true}', b'\x00\xff\xfe\x01'])
def test_empty_or_non_xml_content_is_malformed(content):
    _, problem = refusal(content)
    assert problem.line is not None
    assert 'malformed XML' in problem.message


def test_file_at_the_size_limit_is_accepted():
    content = b'<a>' + b' ' * (MAX_MODEL_BYTES - 7) + b'</a>'
    assert len(content) == MAX_MODEL_BYTES
    assert parse_xml(content, 'big.bpmn').tag == 'a'


def test_oversized_file_is_refused_before_parsing():
    content = b'<a>' + b' ' * MAX_MODEL_BYTES + b'</a>'
    error, problem = refusal(content, 'huge.bpmn')
    assert problem.line is None
    assert 'huge.bpmn' in str(error)
    assert f'{MAX_MODEL_BYTES:,}' in problem.message


def test_doctype_missed_by_the_prolog_scan_is_still_refused(monkeypatch):
    import engine.models.bpmn.xml as hardened
    monkeypatch.setattr(hardened, '_declaration_line', lambda content: None)
    _, problem = refusal((DATA / 'xxe.bpmn').read_bytes(), 'xxe.bpmn')
    assert 'DOCTYPE' in problem.message
