"""Shared web plumbing: errors in one shape, JSON bodies, the OpenAPI document.

Every feature's `api.py` reads its JSON body with `read_json()`, raises
`ApiError` for problems it finds, and describes its routes with `@documented`
so that `/api/openapi.json` is generated from the same pydantic models that
check the input.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Callable, TypeVar

from apispec import APISpec
from flask import (Flask, Response, current_app, jsonify, make_response,
                   render_template, request)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
MAX_CONTENT_LENGTH = 2 * 1024 * 1024
# SQLite and PostgreSQL store integers in 64 bits; larger ones cannot be ids.
MAX_INTEGER = 2**63 - 1

# One CSRF guard for every form; the API exempts bearer-token callers.
csrf = CSRFProtect()

ModelT = TypeVar("ModelT", bound=BaseModel)
ViewT = TypeVar("ViewT", bound=Callable[..., Any])


class ApiError(Exception):
    """A problem with a request, answered as JSON with a 4xx status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """Return the one JSON shape of every API error."""
    return {"error": {"code": code, "message": message, **extra}}


def wants_json() -> bool:
    """Tell whether this request should be answered in JSON."""
    return request.path.startswith(API_PREFIX) or request.path == "/healthz"


def show_again(endpoint: str, status: int = 400, **values: Any) -> Response:
    """Answer a refused form with the page it came from, and a 4xx.

    Flash the message first: the page shows it, and the phone is told with
    a 4xx status that nothing was stored.
    """
    view = current_app.view_functions[endpoint]
    response = make_response(view(**values))
    response.status_code = status
    return response


def read_json(model: type[ModelT]) -> ModelT:
    """Parse the request body as JSON and validate it against `model`.

    Raises ApiError 415 when the body is not JSON, 400 when it is malformed
    and 422 when a field is missing, of the wrong type or too long.
    """
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                       _("Send the body as JSON (Content-Type: "
                         "application/json)."))

    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "malformed_json",
                       _("The body is not valid JSON."))

    if _has_huge_number(data):
        raise ApiError(422, "number_too_large",
                       _("A number in the body is too large."))

    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError(422, "invalid", describe_validation(error))


def _has_huge_number(data: Any) -> bool:
    """Tell whether any integer in parsed JSON exceeds the database's range."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int) and abs(item) > MAX_INTEGER:
            return True
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def describe_validation(error: ValidationError) -> str:
    """Turn a pydantic error into one readable, translated sentence."""
    problems = []
    for item in error.errors()[:5]:
        field = ".".join(str(part) for part in item["loc"]) or _("body")
        problems.append(_("%(field)s: %(problem)s", field=field,
                          problem=_translate_problem(item)))
    return "; ".join(problems)


def _translate_problem(item: Any) -> str:
    """Say what is wrong with one field, in the user's language."""
    kind = item.get("type", "")
    context = item.get("ctx") or {}
    if kind == "missing":
        return _("this field is required")
    if kind in ("string_too_long", "too_long"):
        return _("too long (at most %(limit)s)",
                 limit=context.get("max_length", "?"))
    if kind in ("string_too_short", "too_short"):
        return _("too short (at least %(limit)s)",
                 limit=context.get("min_length", "?"))
    if kind.startswith("int") or kind.startswith("float"):
        return _("must be a number")
    if kind.startswith("bool"):
        return _("must be true or false")
    if kind.startswith("datetime") or kind.startswith("date"):
        return _("must be a date and time such as 2026-06-06T10:00")
    if kind in ("less_than_equal", "less_than"):
        return _("must be at most %(limit)s", limit=context.get("le",
                                                                context.get("lt")))
    if kind in ("greater_than_equal", "greater_than"):
        return _("must be at least %(limit)s", limit=context.get("ge",
                                                                 context.get("gt")))
    if kind in ("literal_error", "enum"):
        return _("must be one of %(choices)s",
                 choices=context.get("expected", "?"))
    if kind == "extra_forbidden":
        return _("is not a known field")
    if kind.startswith("string") or kind == "model_type":
        return _("has the wrong type")
    return _("is not valid")


def documented(
    summary: str,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    tag: str = "",
    idempotent: bool = False,
    query: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Callable[[ViewT], ViewT]:
    """Describe an API view for the generated OpenAPI document."""

    def attach(view: ViewT) -> ViewT:
        view.openapi = {  # type: ignore[attr-defined]
            "summary": summary, "body": body, "response": response,
            "status": status, "tag": tag, "idempotent": idempotent,
            "query": query or {}, "content_type": content_type,
        }
        return view

    return attach


def build_openapi(app: Flask) -> dict[str, Any]:
    """Generate the OpenAPI 3 document from the documented API views."""
    spec = APISpec(
        title="buurt", version="1", openapi_version="3.0.3",
        info={"description": "A neighbourhood node's JSON API."},
    )
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer"}
    )
    seen: set[str] = set()

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        meta = getattr(view, "openapi", None)
        if meta is None:
            continue

        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        operations = {}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operations[method.lower()] = _operation(spec, seen, rule, meta)
        spec.path(path=path, operations=operations)

    return spec.to_dict()


def _operation(spec: APISpec, seen: set[str], rule: Any,
               meta: dict[str, Any]) -> dict[str, Any]:
    """Describe one operation, registering its schemas once."""
    operation: dict[str, Any] = {
        "summary": meta["summary"],
        "operationId": rule.endpoint.replace(".", "_"),
        "security": [{"bearer": []}],
        "responses": {"4XX": {"description": "error",
                              "content": {"application/json": {"schema": {
                                  "$ref": "#/components/schemas/Error"}}}}},
    }
    _register(spec, seen, ErrorDoc, "Error")
    if meta["tag"]:
        operation["tags"] = [meta["tag"]]

    parameters = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "integer" if conv == "int" else "string"}}
        for conv, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule.rule)
    ]
    for name, description in meta["query"].items():
        parameters.append({"name": name, "in": "query", "required": False,
                           "description": description,
                           "schema": {"type": "string"}})
    if meta["idempotent"]:
        parameters.append({
            "name": "Idempotency-Key", "in": "header", "required": False,
            "description": "A retry with the same key returns the first "
                           "answer and stores nothing new.",
            "schema": {"type": "string", "maxLength": 200}})
    if parameters:
        operation["parameters"] = parameters

    if meta["body"] is not None:
        name = _register(spec, seen, meta["body"])
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": {
                "$ref": f"#/components/schemas/{name}"}}}}

    answer: dict[str, Any] = {"description": "success"}
    if meta["response"] is not None:
        name = _register(spec, seen, meta["response"])
        answer["content"] = {meta["content_type"]: {"schema": {
            "$ref": f"#/components/schemas/{name}"}}}
    elif meta["content_type"] != "application/json":
        answer["content"] = {meta["content_type"]: {"schema": {
            "type": "string"}}}
    operation["responses"][str(meta["status"])] = answer
    return operation


def _register(spec: APISpec, seen: set[str], model: type[BaseModel],
              name: str | None = None) -> str:
    """Add a pydantic model (and the models it nests) to the components."""
    name = name or model.__name__
    if name in seen:
        return name

    schema = model.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    for nested_name, nested in schema.pop("$defs", {}).items():
        if nested_name not in seen:
            seen.add(nested_name)
            spec.components.schema(nested_name, nested)
    seen.add(name)
    spec.components.schema(name, schema)
    return name


class ErrorDetail(BaseModel):
    """What went wrong: a stable code and a translated message."""

    code: str
    message: str


class ErrorDoc(BaseModel):
    """The body of every API error."""

    error: ErrorDetail


class BoundedIntegerConverter(IntegerConverter):
    """Match only ids the database can hold; larger ones are a plain 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INTEGER)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Install the error handlers and the OpenAPI route."""
    # Flask presets the key to None, so setdefault would leave it unlimited.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.url_map.converters["int"] = BoundedIntegerConverter
    csrf.init_app(app)

    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError) -> tuple[Response, int]:
        return jsonify(error_body(error.code, error.message)), error.status

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Any:
        status = error.code or 500
        message = _http_message(status)
        if wants_json():
            return jsonify(error_body(_http_code(status), message)), status
        return render_template("error.html", status=status,
                               message=message), status

    @app.errorhandler(OverflowError)
    def handle_overflow(error: OverflowError) -> Any:
        # A number beyond 64 bits, or a date before year 1, reached the
        # database or the calendar: the input is out of range, not a bug.
        return _refusal(400, "out_of_range",
                        _("A number or date you sent is out of range."))

    @app.errorhandler(IntegrityError)
    def handle_integrity(error: IntegrityError) -> Any:
        # The database refused a reference to a row that does not exist,
        # or a duplicate; the transaction is rolled back at teardown.
        logger.warning("refused by the database on %s %s: %s",
                       request.method, request.path, error.orig)
        return _refusal(409, "conflict",
                        _("This refers to something that does not exist "
                          "(any more), or clashes with what is stored. "
                          "Nothing was changed."))

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Any:
        logger.exception("unhandled error on %s %s", request.method,
                         request.path)
        message = _("Something went wrong on the node. Nothing was changed; "
                    "try again, or tell your coordinator.")
        if wants_json():
            return jsonify(error_body("internal", message)), 500
        return render_template("error.html", status=500,
                               message=message), 500

    @app.get("/api/openapi.json")
    def openapi() -> Response:
        """Serve the generated OpenAPI document."""
        if "buurt_openapi" not in current_app.extensions:
            current_app.extensions["buurt_openapi"] = build_openapi(current_app)
        return jsonify(current_app.extensions["buurt_openapi"])


def _refusal(status: int, code: str, message: str) -> Any:
    """Answer a refused request as JSON for the API, or as a page."""
    if wants_json():
        return jsonify(error_body(code, message)), status
    return render_template("error.html", status=status,
                           message=message), status


def _http_code(status: int) -> str:
    """Return a stable machine-readable code for an HTTP status."""
    return {400: "bad_request", 401: "unauthorized", 403: "forbidden",
            404: "not_found", 405: "method_not_allowed", 409: "conflict",
            413: "too_large", 415: "unsupported_media_type",
            429: "too_many_requests"}.get(status, f"http_{status}")


def _http_message(status: int) -> str:
    """Return a translated sentence for an HTTP status."""
    messages = {
        400: _("The request could not be understood."),
        401: _("Log in first."),
        403: _("You are not allowed to do this."),
        404: _("This page or item does not exist (any more)."),
        405: _("This action is not possible here."),
        413: _("What you sent is too large."),
        415: _("This kind of content is not accepted here."),
        429: _("Too many requests; wait a moment and try again."),
    }
    return messages.get(status, _("The request could not be handled."))
