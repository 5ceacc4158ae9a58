"""What people read instead of codes (web/words.py, issue 17): values by their labels,
dates and numbers through Babel in the reader's locale and time zone, a person's own time
zone, and a case's initial data folded away under labels."""
import re
from datetime import datetime, timezone

from tests.web.conftest import open_task
from web import words


def test_values_read_as_people_read_them(app):
    from flask import session
    engine = app.extensions["liandong"]
    engine.create_organisation("admin", "sz", "苏州市", parent="js", kind="city", name_en="Suzhou")
    for locale, expected in (("en", ("Yes", "200,000", "Suzhou", "Approve")),
                             ("zh_CN", ("是", "200,000", "苏州市", "通过"))):
        with app.test_request_context():
            session["locale"] = locale
            assert words.human(True) == expected[0]
            assert words.human(200000) == expected[1]
            assert words.human("sz") == expected[2]  # an organisation code: its name
            assert words.human("approve", {"approve": expected[3]}) == expected[3]
            shown = words.human("2026-12-17T22:24:54+08:00")
            assert "T" not in shown and "+08" not in shown and "22:24" in shown.replace("10:24", "22:24")
            assert words.human("2016-04-20") != "2016-04-20"  # a date in the reader's calendar
            assert words.human("free text stays") == "free text stays"
            assert words.relative(datetime(2016, 4, 23, tzinfo=timezone.utc),
                                  datetime(2016, 4, 20, tzinfo=timezone.utc)) == \
                ("in 3 days" if locale == "en" else "3天后")


def test_a_person_sets_their_time_zone_and_a_bad_one_is_refused(app, staff):
    client = staff("zj_staff")
    page = client.get("/account").get_data(as_text=True)
    assert 'value="Europe/Berlin"' in page and "Asia/Shanghai" in page
    done = client.post("/account/time-zone", data={"time_zone": "Europe/Berlin"}, follow_redirects=True)
    assert done.status_code == 200
    assert app.extensions["liandong"].actor("zj_staff").time_zone == "Europe/Berlin"
    # the engine's clock says 2016-04-01 01:00 UTC: 03:00 in Berlin (summer time), not 09:00
    assert re.search(r"现在：2016年4月1日 03:00|现在：2016/4/1 03:00", done.get_data(as_text=True)), \
        re.findall(r"现在：[^<]*", done.get_data(as_text=True))
    refused = client.post("/account/time-zone", data={"time_zone": "Mars/Olympus"}, follow_redirects=True)
    assert refused.status_code == 200 and "Mars/Olympus" in refused.get_data(as_text=True)
    assert app.extensions["liandong"].actor("zj_staff").time_zone == "Europe/Berlin"


def test_the_timeline_folds_the_initial_data_under_labels(app, staff):
    engine = app.extensions["liandong"]
    case_id, _task = open_task(engine, "zj_staff", data={"province": "浙江", "budget": 12.5,
                                                          "rows": [{"a": 1}, {"a": 2}]})
    page = staff("auditor").get(f"/cases/{case_id}").get_data(as_text=True)
    folded = page[page.index('<details class="initial-data">'):]
    folded = folded[:folded.index("</details>\n    ")]
    assert "预算（万元）" in folded and "12.5" in folded  # labelled by the process's form
    assert re.search(r"<summary[^>]*>另有 1 项未命名的数据</summary>", folded)
    assert "<code>rows</code>" in folded  # no label anywhere: folded further, as the administrator sees it
