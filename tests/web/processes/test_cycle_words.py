"""Deploy findings worded for process owners in Chinese and English."""
import pytest

from engine import ModelError
from tests.engine.runtime.test_cycles import cycle_model


def test_the_modeler_words_a_refused_cycle_in_chinese_and_english(engine):
    """The deploy's finding, as the modeler shows it (web.processes.problem_words)."""
    from flask_babel import force_locale
    from web import create_app
    from web.processes.problem_words import words
    with pytest.raises(ModelError) as refused:
        engine.deploy(cycle_model("R2000/PT0S"))
    [problem] = [p for p in refused.value.problems if p.rule == "timer-expression"]
    app = create_app({"TESTING": True}, engine=engine)
    with app.test_request_context():
        with force_locale("zh_Hans_CN"):
            assert words(problem.message) == "定时器（timeCycle）：间隔 0 秒短于两次重复之间的最短间隔 60 秒。"
        with force_locale("en"):
            assert "shorter than the minimum of 60 s" in words(problem.message)


def test_the_modeler_words_an_id_another_model_defines_in_chinese_and_english(engine):
    from flask_babel import force_locale
    from web import create_app
    from web.processes.problem_words import words
    from tests.conftest import bpmn
    engine.deploy(bpmn("plan_review.bpmn"))
    _key, _n, _created, warnings, _result = engine.deploy_result(bpmn("plan_review.bpmn"), key="review_copy")
    [problem] = [w for w in warnings if w.rule == "id-defined-elsewhere"]
    app = create_app({"TESTING": True}, engine=engine)
    with app.test_request_context():
        with force_locale("zh_Hans_CN"):
            assert words(problem.message) == ("'plan_review' 也由模型 plan_review v1 定义；"
                                              "调用它的模型运行最后部署的那个。")
        with force_locale("en"):
            assert words(problem.message) == ("'plan_review' is also defined by model plan_review v1; "
                                              "models that call it run the one deployed last.")
