"""The API's OpenAPI 3.1 description, written by hand next to the views it describes
(a test checks every documented path exists in the app's URL map)."""

ERROR = {"$ref": "#/components/schemas/Error"}


def _error(text):
    return {"description": text, "content": {"application/json": {"schema": ERROR}}}


def _ok(text, schema):
    return {"description": text, "content": {"application/json": {"schema": schema}}}


COMMON = {"401": _error("Missing, unknown or revoked token."),
          "403": _error("Visible, but not yours to change (auditors change nothing)."),
          "404": _error("Does not exist, or you may not see it.")}
TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}
CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def document() -> dict:
    task = {"$ref": "#/components/schemas/Task"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Liandong 联动 API", "version": "1.0.0",
                 "description": "Tasks and cases of the Liandong process engine. Authenticate "
                                "with 'Authorization: Bearer <token>' (liandong create-token USER)."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/tasks": {"get": {
                "summary": "Open tasks I may work on (mine and my groups' unclaimed).",
                "parameters": [
                    {"name": "view", "in": "query", "schema": {"enum": ["open", "mine", "unclaimed"]}},
                    {"name": "process", "in": "query", "schema": {"type": "string"}},
                    {"name": "stage", "in": "query", "schema": {"type": "string"}},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "per_page", "in": "query", "schema": {"type": "integer", "maximum": 200}}],
                "responses": {"200": _ok("A page of tasks.", {"type": "object", "properties": {
                    "total": {"type": "integer"}, "tasks": {"type": "array", "items": task}}}),
                    **COMMON}}},
            "/tasks/{task_id}": {"get": {
                "summary": "One task with its form's JSON Schema.", "parameters": [TASK_ID],
                "responses": {"200": _ok("The task.", task), **COMMON}}},
            "/tasks/{task_id}/claim": {"post": {
                "summary": "Claim a task for myself.", "parameters": [TASK_ID],
                "responses": {"200": _ok("Claimed.", {"type": "object"}), **COMMON,
                              "409": _error("Already completed or claimed by someone else.")}}},
            "/tasks/{task_id}/unclaim": {"post": {
                "summary": "Give a claimed task back to the group.", "parameters": [TASK_ID],
                "responses": {"200": _ok("Unclaimed.", {"type": "object"}), **COMMON,
                              "409": _error("Already completed.")}}},
            "/tasks/{task_id}/complete": {"post": {
                "summary": "Complete a task with its form data.", "parameters": [TASK_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"data": {"type": "object"}}}}}},
                "responses": {"200": _ok("Completed; the tasks it opened.", {"$ref": "#/components/schemas/Progress"}),
                              **COMMON,
                              "409": _error("Someone else completed or claimed it first (says who)."),
                              "422": _error("The data failed the form's schema; see field_errors.")}}},
            "/cases": {"post": {
                "summary": "Start a case of a deployed process; `data` must pass its start form, if it has one.",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["process_key"], "properties": {
                        "process_key": {"type": "string"}, "business_key": {"type": "string"},
                        "organisation": {"type": "string"}, "data": {"type": "object"}}}}}},
                "responses": {"201": _ok("Started.", {"$ref": "#/components/schemas/Progress"}),
                              **COMMON,
                              "403": _error("Not yours to start: the process's start event lies in "
                                            "the lane of a role you do not hold there, or the process "
                                            "is started by its parent case only (startedBy)."),
                              "422": _error("Bad input, or `data` failed the process's start form; "
                                            "see field_errors.")}}},
            "/cases/{case_id}": {"get": {
                "summary": "A case: status, key facts, open tasks.", "parameters": [CASE_ID],
                "responses": {"200": _ok("The case.", {"type": "object"}), **COMMON}}},
            "/cases/{case_id}/history": {"get": {
                "summary": "The case's audit trail, oldest first.", "parameters": [CASE_ID],
                "responses": {"200": _ok("Events.", {"type": "object", "properties": {
                    "events": {"type": "array", "items": {"type": "object"}}}}), **COMMON}}},
            "/openapi.json": {"get": {"summary": "This document.", "security": [],
                                      "responses": {"200": _ok("OpenAPI 3.1", {"type": "object"})}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "status", "message"], "properties": {
                    "error": {"type": "string"}, "status": {"type": "integer"},
                    "message": {"type": "string"},
                    "field_errors": {"type": "object", "additionalProperties": {
                        "type": "array", "items": {"type": "string"}}}}},
                "Task": {"type": "object", "properties": {
                    "id": {"type": "string"}, "case_id": {"type": "integer"}, "name": {"type": "string"},
                    "process_key": {"type": "string"}, "lane": {"type": ["string", "null"]},
                    "assignee": {"type": ["string", "null"]}, "due_at": {"type": ["string", "null"]},
                    "state": {"type": "string"}}},
                "Progress": {"type": "object", "properties": {
                    "case_id": {"type": "integer"}, "status": {"type": "string"},
                    "tasks": {"type": "array", "items": {"type": "string"}}}},
            },
        },
    }
