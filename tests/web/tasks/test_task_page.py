"""The task page: instructions, the server-side form from JSON Schema + UI schema, errors
beside their fields with every value kept, repeating rows, drafts, completion."""
from markupsafe import Markup

from tests.web.conftest import open_task
from web.tasks.instructions import render_instructions

GOOD = {"title": "长三角图书馆联盟", "form": "alliance", "theme": "数字化", "start_date": "2016-05-10",
        "budget": "12.5", "sponsored": "yes", "description": "三省一市图书馆签署合作协议",
        "partners-0-city": "南京", "partners-0-province": "江苏"}


def test_task_page_shows_instructions_form_and_facts(app, staff):
    engine = app.extensions["liandong"]
    case_id, task_id = open_task(engine, "zj_staff", data={"province": "浙江", "year": 2016})
    page = staff("zj_staff").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "<strong>4月20日</strong>" in page and "（浙江）" in page
    assert 'name="title"' in page and 'maxlength="100"' in page
    assert 'type="radio"' in page and 'value="alliance"' in page and "联盟" in page
    assert '<select' in page and 'name="theme"' in page
    assert 'type="date"' in page and 'name="start_date"' in page
    assert 'type="number"' in page and 'name="budget"' in page
    assert 'name="sponsored"' in page and 'value="yes"' in page
    assert '<textarea' in page and "活动内容、场地" in page  # ui:widget textarea + placeholder
    assert 'name="partners-0-city"' in page and 'name="add_row"' in page
    assert 'type="file"' in page and 'name="programme"' in page
    assert "请按照厉行节约的要求填写" in page  # ui:help
    assert page.index('name="title"') < page.index('name="form"') < page.index('name="partners-0-city"') \
        < page.index('name="description"') < page.index('name="contact_phone"')  # ui:order with "*"
    assert "<dt>year</dt>" not in page  # a variable no form names is no key fact (issue 17)


def _field_block(page, name):
    """The HTML of the field wrapper around input `name`."""
    start = page.rfind('<div class="field', 0, page.index(f'name="{name}"'))
    return page[start:page.index("</div>", page.index(f'name="{name}"')) + 200]


def test_errors_beside_fields_with_every_value_kept(app, staff):
    engine = app.extensions["liandong"]
    _, task_id = open_task(engine, "zj_staff")
    me = staff("zj_staff")
    bad = dict(GOOD, title="", budget="lots", start_date="2016-13-45", contact_phone="call me",
               **{"partners-0-city": "", "partners-0-province": "江苏", "partners-1-city": "苏州"})
    response = me.post(f"/tasks/{task_id}", bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "您填写的内容都已保留" in page
    assert "此项为必填项" in _field_block(page, "title")
    assert "请输入数字" in _field_block(page, "budget") and 'value="lots"' in page
    assert "请输入日期" in _field_block(page, "start_date") and 'value="2016-13-45"' in page
    assert "格式不正确" in _field_block(page, "contact_phone")
    assert "此项为必填项" in _field_block(page, "partners-0-city")
    for kept in ("长三角图书馆联盟" if False else "三省一市图书馆签署合作协议", 'value="江苏"',
                 'value="苏州"', 'selected value="数字化"', 'checked id="form-0"'):
        assert kept in page, kept
    assert engine.tasks("zj_staff")[0].id == task_id  # nothing was completed


def test_out_of_range_and_enum_messages(app, staff):
    engine = app.extensions["liandong"]
    _, task_id = open_task(engine, "zj_staff")
    page = staff("zj_staff").post(f"/tasks/{task_id}", dict(GOOD, budget="5000", form="party")) \
        .get_data(as_text=True)
    assert "不能大于 1000" in _field_block(page, "budget")
    assert "请从选项中选择" in page


def test_english_messages(app, staff):
    engine = app.extensions["liandong"]
    _, task_id = open_task(engine, "zj_staff")
    me = staff("zj_staff")
    me.post("/locale", {"locale": "en"})
    page = me.post(f"/tasks/{task_id}", dict(GOOD, title="")).get_data(as_text=True)
    assert "This field is required." in _field_block(page, "title")


def test_add_and_remove_rows_without_javascript(app, staff):
    engine = app.extensions["liandong"]
    _, task_id = open_task(engine, "zj_staff")
    me = staff("zj_staff")
    page = me.post(f"/tasks/{task_id}", dict(GOOD, add_row="partners")).get_data(as_text=True)
    assert 'name="partners-1-city"' in page and 'value="南京"' in page
    assert 'value="长三角图书馆联盟"' in page
    page = me.post(f"/tasks/{task_id}", dict(GOOD, remove_row="partners-0",
                                             **{"partners-1-city": "苏州"})).get_data(as_text=True)
    assert 'value="南京"' not in page and 'value="苏州"' in page


def test_draft_is_kept_per_person(app, staff):
    engine = app.extensions["liandong"]
    _, task_id = open_task(engine, "zj_staff")
    me = staff("zj_staff")
    response = me.post(f"/tasks/{task_id}", {"title": "半成品", "budget": "3", "save_draft": "1"})
    assert response.status_code == 302
    page = me.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'value="半成品"' in page and "草稿保存于" in page
    assert 'value="半成品"' not in staff("zj_staff2").get(f"/tasks/{task_id}").get_data(as_text=True)


def test_complete_and_see_the_next_task(app, staff):
    engine = app.extensions["liandong"]
    case_id, task_id = open_task(engine, "zj_staff")
    me = staff("zj_staff")
    me.post(f"/tasks/{task_id}", {"title": "草稿", "save_draft": "1"})
    response = me.post(f"/tasks/{task_id}", dict(GOOD, **{"partners-1-city": "", "partners-1-province": ""}))
    assert response.status_code == 302, response.get_data(as_text=True)
    next_url = response.headers["Location"]
    page = me.get(next_url).get_data(as_text=True)
    assert "提交活动总结" in page and "您的下一项任务" in page
    assert "长三角图书馆联盟" in page  # filled into the instructions from the case data
    with engine.db.read() as s:
        from engine.storage import AuditEvent, Draft
        from sqlalchemy import select
        done = s.scalars(select(AuditEvent).where(AuditEvent.kind == "task_completed")).one()
        assert done.detail["submitted"] == {
            "title": "长三角图书馆联盟", "form": "alliance", "theme": "数字化",
            "start_date": "2016-05-10", "budget": 12.5, "sponsored": True,
            "description": "三省一市图书馆签署合作协议",
            "partners": [{"city": "南京", "province": "江苏"}]}  # the empty row was dropped
        assert s.scalars(select(Draft)).all() == []
    # the completed task cannot be submitted again: a conflict that says who and when
    response = me.post(f"/tasks/{task_id}", GOOD)
    assert response.status_code == 409 and "zj_staff" in response.get_data(as_text=True)


def test_instructions_are_rendered_safely():
    html = str(render_instructions("Hi **{{ name }}** <script>alert(1)</script> [x](javascript:alert(1))",
                                   {"name": "<img src=x onerror=alert(1)>"}))
    assert "<strong>" in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    # the placeholders run in Jinja's sandbox: no reaching Python internals
    escape = str(render_instructions("{{ ''.__class__.__mro__[1].__subclasses__() }}", {}))
    assert "Popen" not in escape and "catch_warnings" not in escape
    # a broken placeholder shows the text as written instead of failing the page
    assert "broken" in str(render_instructions("broken {{ x", {}))
    assert isinstance(render_instructions(None), Markup)


def test_images_from_other_sites_become_links():
    """A remote image would tell its site who read the task and when."""
    for address in ("https://tracker.example/p.png", "//tracker.example/p.png", "http:/\\x/p.png"):
        html = str(render_instructions(f"see ![the chart]({address})", {}))
        assert "<img" not in html and ">the chart</a>" in html, html
    placeholder = str(render_instructions("{{ pic }}", {"pic": "![a](https://tracker.example/a.png)"}))
    assert "<img" not in placeholder
    local = str(render_instructions("![plan](/files/12/plan.png)", {}))
    assert '<img src="/files/12/plan.png" alt="plan">' in local


def test_a_new_form_starts_from_the_schema_defaults_and_case_data_wins(app, staff):
    engine = app.extensions["liandong"]
    me = staff("zj_staff")
    _, task_id = open_task(engine, "zj_staff")
    page = me.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'checked id="sponsored-1"' in page and 'checked id="sponsored-0"' not in page  # "no"
    _, task_id = open_task(engine, "zj_staff", data={"province": "浙江", "sponsored": True})
    page = me.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'checked id="sponsored-0"' in page and 'checked id="sponsored-1"' not in page  # "yes"


def test_defaults_reach_into_groups_but_never_over_a_value():
    from web.tasks.schema_form import with_defaults
    schema = {"properties": {
        "count": {"type": "integer", "default": 0},
        "venue": {"type": "object", "properties": {"indoor": {"type": "boolean", "default": True},
                                                   "name": {"type": "string"}}},
        "note": {"type": "string"}}}
    assert with_defaults(schema, {}) == {"count": 0, "venue": {"indoor": True}}
    assert with_defaults(schema, {"count": 3, "venue": {"indoor": False, "name": "馆"}}) == \
        {"count": 3, "venue": {"indoor": False, "name": "馆"}}


def _facts_panel(page):
    start = page.index('<section class="card facts">')
    return page[start:page.index("</section>", start)]


def test_key_facts_go_by_the_names_the_forms_give_them(app, staff):
    engine = app.extensions["liandong"]
    _, task_id = open_task(engine, "zj_staff", data={
        "province": "浙江", "form": "alliance", "sponsored": True, "budget": 12.5, "participants": 30})
    facts = _facts_panel(staff("zj_staff").get(f"/tasks/{task_id}").get_data(as_text=True))
    assert "<dt>活动形式</dt><dd>联盟</dd>" in facts and "<dt>有社会赞助</dt><dd>是</dd>" in facts
    assert "<dt>预算（万元）</dt><dd>12.5</dd>" in facts
    assert "<dt>参与人数</dt><dd>30</dd>" in facts  # named by the process's other form
    assert "<dt>province</dt>" not in facts and "浙江" not in facts  # no form names it: not shown


def test_an_error_on_one_item_of_a_list_is_shown_beside_that_item(app):
    from web.tasks.schema_form import form_class, to_json
    from web.tasks.schema_form import show_errors
    schema = {"type": "object", "properties": {
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}}}}
    with app.test_request_context(method="POST", data={"tags-0": "ok", "tags-1": "", "tags-2": "toolong"}):
        form = form_class(schema)(meta={"csrf": False})
        parsed = to_json(schema, form)
        assert parsed.data == {"tags": ["ok", "toolong"]}  # the empty entry is dropped
        assert show_errors(parsed, {"tags.1": ["too long"]}) == []  # not at the top of the form
        assert [list(entry.errors) for entry in form["tags"].entries] == [[], [], ["too long"]]


def test_a_form_missing_on_disk_leaves_the_other_facts_labelled(app):
    from web.tasks.facts import labelled_facts
    engine = app.extensions["liandong"]
    schema = {"properties": {"budget": {"type": "number", "title": "预算"}}}
    with app.test_request_context():
        rows = labelled_facts(engine, ("no-such-form.json", "../../etc/passwd"), schema,
                              {"budget": 3, "participants": 30, "stage": "planning"}, "zh_CN")
    assert rows == [("预算", "3")]  # "participants" has no label anywhere: not shown
