"""The HTTP connector: SpiffArena's connector-http operators, run by the engine itself.

Operators and parameters as connector-http names them: `http/GetRequest` (url, headers,
params, basic_auth_username, basic_auth_password), `http/PostRequest`, `PutRequest`,
`PatchRequest` (url, headers, data, basic auth), `http/DeleteRequest`, `http/HeadRequest`;
the `...V2` names are the same. The result is connector-http's command response:
`{"body": <parsed JSON, or the text>, "mimetype": ..., "http_status": ...}`; a status of
400 or more fails the task, as SpiffArena does without an error boundary.

Safety: only hosts in the setting `http_connector_hosts` are called (exact names, or
`*.example.cn` for a domain and its subdomains; a redirect elsewhere is refused too), only
http and https; `http_connector_timeout` bounds the whole call (connect, send and read),
and a body above `http_connector_max_bytes` is refused. The call runs inside the command
that reached the service task, so the case's lock is held for at most that timeout.
"""
import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from engine.runtime.connectors import Connector, ConnectorError, Parameter

_AUTH = (Parameter("basic_auth_username"), Parameter("basic_auth_password"))
_QUERY = (Parameter("url", required=True), Parameter("headers", "any"), Parameter("params", "any"), *_AUTH)
_BODY = (Parameter("url", required=True), Parameter("headers", "any"), Parameter("data", "any"), *_AUTH)
METHODS = {"Get": ("GET", _QUERY), "Head": ("HEAD", _QUERY), "Delete": ("DELETE", _BODY),
           "Post": ("POST", _BODY), "Put": ("PUT", _BODY), "Patch": ("PATCH", _BODY)}
OPERATORS = {f"http/{verb}Request{suffix}": method
             for verb, method in METHODS.items() for suffix in ("", "V2")}
_CHUNK = 64 * 1024


def host_allowed(host: str, port, allowed) -> bool:
    host = (host or "").lower().rstrip(".")
    for entry in allowed:
        entry = str(entry).strip().lower()
        if not entry:
            continue
        if ":" in entry and not entry.startswith("["):  # host:port
            name, _, entry_port = entry.rpartition(":")
            if host == name and str(port) == entry_port:
                return True
        elif entry.startswith("*."):
            if host == entry[2:] or host.endswith(entry[1:]):
                return True
        elif host == entry:
            return True
    return False


def _check_url(url, allowed):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectorError(f"The HTTP connector calls only http and https addresses, not '{url[:200]}'.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if not host_allowed(parts.hostname, port, allowed):
        raise ConnectorError(f"The host '{parts.hostname}' is not in the HTTP connector's allowed "
                             "hosts (setting http_connector_hosts).")


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 3

    def __init__(self, allowed):
        self.allowed = allowed

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        _check_url(newurl, self.allowed)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _body_bytes(data, headers):
    if data is None:
        return None
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if isinstance(data, str):
        return data.encode()
    if not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    return json.dumps(data, default=str).encode()


def _request(settings, method, params):
    url = str(params["url"])
    allowed = tuple(settings.http_connector_hosts)
    _check_url(url, allowed)
    headers = {str(k): str(v) for k, v in (params.get("headers") or {}).items()}
    if params.get("params"):
        query = urllib.parse.urlencode(params["params"], doseq=True)
        url = f"{url}{'&' if urllib.parse.urlsplit(url).query else '?'}{query}"
    if params.get("basic_auth_username"):
        token = f"{params['basic_auth_username']}:{params.get('basic_auth_password') or ''}"
        headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
    body = _body_bytes(params.get("data"), headers)
    return urllib.request.Request(url, data=body, headers=headers, method=method), allowed


def _read(response, limit, deadline):
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError
        chunk = response.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise ConnectorError(f"The response is larger than {limit} bytes "
                                 "(setting http_connector_max_bytes).")
        chunks.append(chunk)


def _result(status, headers, raw):
    mimetype = headers.get("Content-Type", "") if headers is not None else ""
    text = raw.decode(headers.get_content_charset() or "utf-8", "replace") if headers is not None else raw.decode()
    body = text
    if "json" in mimetype and text.strip():
        try:
            body = json.loads(text)
        except ValueError:
            body = text
    return {"body": body, "mimetype": mimetype.split(";")[0].strip(), "http_status": status}


def call(settings, method, params):
    """One request; `settings` are the engine's (hosts, timeout, size cap)."""
    request, allowed = _request(settings, method, params)
    timeout = float(settings.http_connector_timeout)
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_Redirects(allowed))
    host = urllib.parse.urlsplit(request.full_url).hostname
    try:
        with opener.open(request, timeout=timeout) as response:
            raw = _read(response, int(settings.http_connector_max_bytes), deadline)
            result = _result(response.status, response.headers, raw)
    except urllib.error.HTTPError as err:
        raw = _read(err, int(settings.http_connector_max_bytes), deadline) if err.fp else b""
        result = _result(err.code, err.headers, raw)
    except (TimeoutError, OSError) as err:
        if isinstance(err, TimeoutError) or "timed out" in str(err):
            raise ConnectorError(f"{method} {host} did not answer within {timeout:g} s "
                                 "(setting http_connector_timeout).") from None
        reason = getattr(err, "reason", err)
        raise ConnectorError(f"{method} {host} failed: {reason}") from None
    if result["http_status"] >= 400:
        detail = json.dumps(result["body"], ensure_ascii=False)[:300] if result["body"] else ""
        raise ConnectorError(f"{method} {host} answered HTTP {result['http_status']}"
                             + (f": {detail}" if detail else "") + ".")
    return result


def http_connectors(settings_of):
    """The HTTP connectors; `settings_of()` gives the engine's settings at call time."""
    def runner(method):
        return lambda params: call(settings_of(), method, params)
    return [Connector(operator, f"HTTP {method} (SpiffArena's connector-http)", parameters, runner(method))
            for operator, (method, parameters) in OPERATORS.items()]
