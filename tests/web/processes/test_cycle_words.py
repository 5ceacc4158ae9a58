"""A timer cycle deploy refuses, worded for process owners in Chinese and English."""
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
