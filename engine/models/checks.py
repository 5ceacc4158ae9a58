"""Every check a model gets before deploying: hardened XML, XSD, SpiffWorkflow's parser and
the lint rules, with scripts compiled under the sandbox."""
from engine.models.bpmn.lint import validate_files
from engine.sandbox.scripts import compile_script


def check_files(files: dict[str, bytes], form_exists=lambda name: True):
    return validate_files(files, form_exists=form_exists, compile_script=compile_script)
