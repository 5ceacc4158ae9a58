"""The web app's areas, registered in this order. Each entry is a package exposing `bp`;
an engineer adding an area appends its package here."""

BLUEPRINTS = [
    "web.auth",
    "web.inbox",
    "web.tasks",
    "web.files",
    "web.admin",
    "web.api",
    "web.processes",
    "web.cases",
    "web.vendor",
    "web.ops",
    "web.audit",
]
