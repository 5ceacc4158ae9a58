"""Writes tests/data/spiffarena-tree: small models in SpiffArena's layout, one per
convention issue 19 lists (process groups, process_model.json, forms beside the BPMN,
calls and decisions across folders, compatibility-mode leniencies). Run it again after
changing it; the tree is committed."""
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "tests" / "data" / "spiffarena-tree"
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs_{pid}" '
        'targetNamespace="http://bpmn.io/schema/bpmn">\n  <bpmn:process id="{pid}" name="{name}" isExecutable="true">\n')
TAIL = "  </bpmn:process>\n</bpmn:definitions>\n"


def form(title, *fields):
    return {"title": title, "type": "object", "required": list(fields),
            "properties": {f: {"type": "string", "title": f} for f in fields}}


def user(tid, schema, ui=None):
    props = f'<spiffworkflow:property name="formJsonSchemaFilename" value="{schema}" />'
    if ui:
        props += f'<spiffworkflow:property name="formUiSchemaFilename" value="{ui}" />'
    return (f'    <bpmn:userTask id="{tid}" name="{tid}"><bpmn:extensionElements><spiffworkflow:properties>'
            f'{props}</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>\n')


def script(tid, code):
    return f'    <bpmn:scriptTask id="{tid}" name="{tid}"><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>\n'


def chain(*ids):
    out = '    <bpmn:startEvent id="start" />\n    <bpmn:endEvent id="end" />\n'
    steps = ("start",) + ids + ("end",)
    for i, (a, b) in enumerate(zip(steps, steps[1:])):
        out += f'    <bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}" />\n'
    return out


def model(group, folder, pid, body, forms=None, meta=None, extra=None):
    where = ROOT / group / folder
    where.mkdir(parents=True)
    name = folder.replace("-", " ")
    (where / f"{folder}.bpmn").write_text(HEAD.format(pid=pid, name=name) + body + TAIL, "utf-8")
    info = {"display_name": name, "description": f"{name} (SpiffArena layout)",
            "primary_file_name": f"{folder}.bpmn", "primary_process_id": pid, "files": [],
            "metadata_extraction_paths": None, **(meta or {})}
    (where / "process_model.json").write_text(json.dumps(info, indent=2), "utf-8")
    for file_name, content in (forms or {}).items():
        (where / file_name).write_text(json.dumps(content, ensure_ascii=False, indent=2), "utf-8")
    for file_name, content in (extra or {}).items():
        (where / file_name).write_text(content, "utf-8")


def group(folder, title):
    (ROOT / folder).mkdir(parents=True, exist_ok=True)
    (ROOT / folder / "process_group.json").write_text(json.dumps({"display_name": title, "description": ""}), "utf-8")


DMN = '''<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Defs_discount" name="discount" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="shared_discount" name="Discount">
    <decisionTable id="table_discount">
      <input id="in_amount" label="amount"><inputExpression id="ie" typeRef="integer"><text>amount</text></inputExpression></input>
      <output id="out_discount" label="discount" name="discount" typeRef="integer" />
      <rule id="r1"><inputEntry id="e1"><text>&gt;= 100</text></inputEntry><outputEntry id="o1"><text>10</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="e2"><text>&lt; 100</text></inputEntry><outputEntry id="o2"><text>0</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
'''


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    group("basics", "基础")
    model("basics", "hello-script", "hello_script", script("greet", "greeting = 'hello'") + chain("greet"))
    model("basics", "simple-form", "simple_form", user("ask", "ask-schema.json", "ask-uischema.json") + chain("ask"),
          {"ask-schema.json": form("Ask", "answer"), "ask-uischema.json": {"ui:order": ["answer"]}})
    model("basics", "form-space", "form_space", user("ask", "my form-schema.json") + chain("ask"),
          {"my form-schema.json": form("With a space", "answer")})
    long_id = "a_process_whose_identifier_is_longer_than_one_hundred_and_twenty_characters_" + "x" * 60
    model("basics", "long-id", long_id, script("s", "done = True") + chain("s"))
    model("basics", "two-forms", "two_forms", user("first", "first-schema.json") + user("second", "second-schema.json")
          + chain("first", "second"), {"first-schema.json": form("First", "a"), "second-schema.json": form("Second", "b")})
    model("basics", "parallel", "parallel",
          '    <bpmn:startEvent id="start" />\n    <bpmn:parallelGateway id="split" />\n    <bpmn:parallelGateway id="join" />\n'
          + script("left", "left = 1") + script("right", "right = 2") + '    <bpmn:endEvent id="end" />\n'
          + "".join(f'    <bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}" />\n' for i, (a, b) in enumerate(
              [("start", "split"), ("split", "left"), ("split", "right"), ("left", "join"), ("right", "join"), ("join", "end")])))
    group("leniency", "宽松检查")
    gateway = ('    <bpmn:startEvent id="start" />\n' + script("set", "amount = 5")
               + '    <bpmn:exclusiveGateway id="gw" />\n    <bpmn:endEvent id="big" />\n    <bpmn:endEvent id="small" />\n'
               '    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="set" />\n'
               '    <bpmn:sequenceFlow id="f1" sourceRef="set" targetRef="gw" />\n'
               '    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="big"><bpmn:conditionExpression>amount &gt; 10</bpmn:conditionExpression></bpmn:sequenceFlow>\n'
               '    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="small" />\n')
    model("leniency", "gateway-no-condition", "gateway_no_condition", gateway)
    model("leniency", "strict-gateway", "strict_gateway", gateway.replace("amount = 5", "amount = 6"), meta={"strict": True})
    model("leniency", "manual-several-out", "manual_several_out",
          '    <bpmn:startEvent id="start" />\n    <bpmn:manualTask id="check" name="Check the hall" />\n'
          + script("a", "a = 1") + script("b", "b = 2") + '    <bpmn:endEvent id="end_a" />\n    <bpmn:endEvent id="end_b" />\n'
          + "".join(f'    <bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}" />\n' for i, (a, b) in enumerate(
              [("start", "check"), ("check", "a"), ("check", "b"), ("a", "end_a"), ("b", "end_b")])))
    model("leniency", "data-unresolved", "data_unresolved",
          '    <bpmn:scriptTask id="s" name="s"><bpmn:dataInputAssociation id="d1"><bpmn:sourceRef>NoSuchObject</bpmn:sourceRef>'
          '<bpmn:targetRef>s</bpmn:targetRef></bpmn:dataInputAssociation><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>\n' + chain("s"))
    model("leniency", "subprocess-no-start", "subprocess_no_start",
          '    <bpmn:subProcess id="sub" name="sub">' + script("inner", "x = 1").strip()
          + '<bpmn:endEvent id="sub_end" /><bpmn:sequenceFlow id="sf" sourceRef="inner" targetRef="sub_end" />'
          '</bpmn:subProcess>\n' + chain("sub"))
    model("leniency", "xsd-unknown-attribute", "xsd_unknown_attribute",
          '    <bpmn:scriptTask id="s" name="s" color="red"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>\n' + chain("s"))
    model("leniency", "xsd-iospecification", "xsd_iospecification",
          '    <bpmn:scriptTask id="s" name="s"><bpmn:ioSpecification id="io"><bpmn:dataInput id="in1" /></bpmn:ioSpecification>'
          '<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>\n' + chain("s"))
    model("leniency", "timer-cycle", "timer_cycle", user("wait", "wait-schema.json")
          + '    <bpmn:boundaryEvent id="remind" attachedToRef="wait" cancelActivity="false"><bpmn:timerEventDefinition id="t">'
            '<bpmn:timeCycle>"R/PT1H"</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>\n'
          + script("note", "reminded = True") + '    <bpmn:endEvent id="reminded_end" />\n'
          + '    <bpmn:sequenceFlow id="r1" sourceRef="remind" targetRef="note" />\n'
          + '    <bpmn:sequenceFlow id="r2" sourceRef="note" targetRef="reminded_end" />\n' + chain("wait"),
          {"wait-schema.json": form("Wait", "ok")})
    group("shared", "共享")
    model("shared", "shared-greeting", "shared_greeting", script("g", "greeting = 'hello from shared'") + chain("g"))
    model("shared", "shared-approval", "shared_approval", user("approve", "approve-schema.json") + chain("approve"),
          {"approve-schema.json": form("Approve", "verdict")})
    model("shared", "shared-decision", "shared_decision", script("set", "amount = 50")
          + '    <bpmn:businessRuleTask id="rule" name="rule"><bpmn:extensionElements>'
            '<spiffworkflow:calledDecisionId>shared_discount</spiffworkflow:calledDecisionId>'
            '</bpmn:extensionElements></bpmn:businessRuleTask>\n' + chain("set", "rule"),
          extra={"discount.dmn": DMN})
    group("callers", "调用方")
    call = '    <bpmn:callActivity id="call" name="call" calledElement="{callee}" />\n'
    model("callers", "call-greeting", "call_greeting", call.format(callee="shared_greeting") + chain("call"))
    model("callers", "call-approval", "call_approval", call.format(callee="shared_approval") + chain("call"))
    model("callers", "call-twice-removed", "call_twice_removed", call.format(callee="call_greeting") + chain("call"))
    model("callers", "rule-discount", "rule_discount", script("set", "amount = 150")
          + '    <bpmn:businessRuleTask id="rule" name="rule"><bpmn:extensionElements>'
            '<spiffworkflow:calledDecisionId>shared_discount</spiffworkflow:calledDecisionId>'
            '</bpmn:extensionElements></bpmn:businessRuleTask>\n' + chain("set", "rule"))
    model("callers", "call-nowhere", "call_nowhere", call.format(callee="no_such_process") + chain("call"))


if __name__ == "__main__":
    main()
