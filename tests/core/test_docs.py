"""docs/api.md and docs/socket.md say what the code does, and the published schema explains itself.

The REST side is read from drf-spectacular's generator, the schema `/api/schema/` serves. The socket side
is read from the code: the client actions from the consumer's ACTIONS table (and the fields each handler
reads, from its source), the frames from the dict literals of apps/realtime/frames.py, the one module
that builds them (a `protocol` key, or a `type` without a dot; Channels' own messages have dotted types). A new route,
action or frame, or a new field in one, fails here until the docs name it. No database is used.
"""

import ast
import re
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_DOC = ROOT / "docs" / "api.md"
SOCKET_DOC = ROOT / "docs" / "socket.md"
CONSUMER = ROOT / "apps" / "realtime" / "consumers.py"
PUBLIC_CONSUMER = ROOT / "apps" / "realtime" / "public.py"
FRAMES = ROOT / "apps" / "realtime" / "frames.py"
SOCKET_AUTH = ROOT / "apps" / "realtime" / "auth.py"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


# --- Reading the docs ---------------------------------------------------------------------------


def _part(text: str, title: str) -> str:
    """The body of the `## title` part, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"no '## {title}' part"
    return match.group(1)


def _sections(text: str) -> dict[str, str]:
    """{heading: heading and body} of every `### ` heading of `text`."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            current = None
            if line.startswith("### "):
                heading = line.removeprefix("### ").strip()
                assert heading not in sections, f"'{heading}' is a heading twice"
                current = sections[heading] = [heading]
        elif current is not None:
            current.append(line)
    return {heading: "\n".join(lines) for heading, lines in sections.items()}


def _names(text: str, names: set[str]) -> set[str]:
    """Those of `names` that `text` does not name as `name`."""
    return {name for name in names if f"`{name}`" not in text}


# --- REST: the schema ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method.upper() in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _request_fields(schema: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    fields = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    for content in operation.get("requestBody", {}).get("content", {}).values():
        fields |= set(_resolve(schema, content["schema"]).get("properties", {}))
    return fields


def _api_sections() -> dict[str, str]:
    sections = _sections(API_DOC.read_text())
    return {h: body for h, body in sections.items() if re.fullmatch(rf"({'|'.join(HTTP_METHODS)}) /\S*", h)}


def test_every_operation_of_the_schema_is_documented_and_nothing_else(schema: dict[str, Any]) -> None:
    in_schema = {key for key, _operation in _operations(schema)}
    documented = set(_api_sections())
    assert not in_schema - documented, (
        f"operations without a '### METHOD /path' in docs/api.md: {in_schema - documented}"
    )
    assert not documented - in_schema, f"docs/api.md documents operations the schema lacks: {documented - in_schema}"


def test_each_operation_names_its_request_fields_and_query_parameters(schema: dict[str, Any]) -> None:
    sections = _api_sections()
    missing = {
        key: unnamed
        for key, operation in _operations(schema)
        if (unnamed := _names(sections.get(key, ""), _request_fields(schema, operation)))
    }
    assert not missing, f"fields not named in their operation's section of docs/api.md: {missing}"


def test_each_operation_states_the_auth_and_the_success_status_the_schema_has(schema: dict[str, Any]) -> None:
    sections = _api_sections()
    wrong = {}
    for key, operation in _operations(schema):
        requirements = operation.get("security") or []
        if not any(requirements):
            auth = "none"
        elif {} in requirements:
            auth = "optional"
        else:
            auth = "JWT"
        (success,) = [status for status in operation["responses"] if status.startswith("2")]
        stated_auth = re.search(r"^- \*\*Auth:\*\* (none|optional|JWT)\b", sections.get(key, ""), re.MULTILINE)
        stated_answer = re.search(r"^- \*\*Answer:\*\* (\d{3})\b", sections.get(key, ""), re.MULTILINE)
        stated = (stated_auth and stated_auth.group(1), stated_answer and stated_answer.group(1))
        if stated != (auth, success):
            wrong[key] = f"docs say {stated}, the schema {(auth, success)}"
    assert not wrong, wrong


def test_every_shape_and_every_field_of_it_is_named_in_the_api_doc(schema: dict[str, Any]) -> None:
    text = API_DOC.read_text()
    components = schema["components"]["schemas"]
    unnamed_shapes = {
        name
        for name in components
        if not name.endswith(("Request", "Enum"))
        and not name.startswith("Paginated")
        and not re.search(rf"\b{name}\b", text)
    }
    assert not unnamed_shapes, f"shapes docs/api.md never names: {unnamed_shapes}"
    unnamed_fields = {
        name: unnamed
        for name, component in components.items()
        if (unnamed := _names(text, set(component.get("properties", {}))))
    }
    assert not unnamed_fields, f"fields docs/api.md never names: {unnamed_fields}"


def test_every_operation_has_a_one_line_summary(schema: dict[str, Any]) -> None:
    bad = {
        key: operation.get("summary")
        for key, operation in _operations(schema)
        if not operation.get("summary") or "\n" in operation["summary"] or len(operation["summary"]) > 80
    }
    assert not bad, f"missing, multi-line or overlong summaries (from the first docstring line): {bad}"


def test_every_parameter_is_described(schema: dict[str, Any]) -> None:
    bare = {
        (key, parameter["name"])
        for key, operation in _operations(schema)
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    }
    assert not bare, f"parameters without a description (path ones: apps/core/schema.py; others: help_text): {bare}"


def test_the_booking_duration_is_described_in_minutes(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/api/poolhouses/{hall_id}/tables/{table_id}/reserve/"]["post"]
    body = _resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    assert "minutes" in body["properties"]["duration"]["description"].lower()


# --- Socket: the consumer's action table -------------------------------------------------------


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _consumer_method(name: str, classes: tuple[tuple[Path, str], ...] = ((CONSUMER, "BaseConsumer"),)):
    """The method `name` of the first of these consumer classes that defines it (a subclass first)."""
    for path, class_name in classes:
        consumer = next(n for n in _tree(path).body if isinstance(n, ast.ClassDef) and n.name == class_name)
        for node in consumer.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                return node
    raise AssertionError(f"no consumer method {name}")


Selector = tuple[str | None, str | None, frozenset[str]]  # action, protocol, keys that must be present


def _keys_read(body: list[ast.stmt], variable: str = "content") -> set[str]:
    """Fields read from the frame in `body`: `content.get("k")`, `content["k"]`, and the same inside the
    consumer's own methods that the frame is handed to."""
    keys = set()
    for node in (n for statement in body for n in ast.walk(statement)):
        match node:
            case ast.Call(
                func=ast.Attribute(value=ast.Name(id=name), attr="get"), args=[ast.Constant(value=str(key)), *_]
            ):
                if name == variable:
                    keys.add(key)
            case ast.Subscript(value=ast.Name(id=name), slice=ast.Constant(value=str(key))):
                if name == variable:
                    keys.add(key)
            case ast.Call(func=ast.Attribute(value=ast.Name(id="self"), attr=method), args=args):
                for position, argument in enumerate(args):
                    if isinstance(argument, ast.Name) and argument.id == variable:
                        helper = _consumer_method(method)
                        keys |= _keys_read(helper.body, helper.args.args[position + 1].arg)
    return keys


PUBLIC_CLASSES = ((PUBLIC_CONSUMER, "PublicConsumer"), (CONSUMER, "BaseConsumer"))


def _code_actions(public: bool = False) -> dict[Selector, set[str]]:
    """{selector: fields its handler reads} for every row of the consumer's action table (of the public
    socket's consumer with `public`)."""
    from apps.realtime.consumers import ACTIONS
    from apps.realtime.public import PUBLIC_ACTIONS

    actions = {}
    for row in PUBLIC_ACTIONS if public else ACTIONS:
        handler = _consumer_method(row.handler, PUBLIC_CLASSES) if public else _consumer_method(row.handler)
        actions[(row.action, row.protocol, row.keys)] = _keys_read(handler.body, handler.args.args[1].arg)
    assert len(actions) >= (1 if public else 5), "the action table was not found"
    return actions


def _documented_actions(part: str = "Client → server") -> dict[Selector, str]:
    documented = {}
    for heading, body in _sections(_part(SOCKET_DOC.read_text(), part)).items():
        match = re.fullmatch(r"`(\{.*\})`", heading)
        assert match, f"a client action's heading is its frame's skeleton in backticks, not '{heading}'"
        pairs = dict(re.findall(r'"(\w+)": ("[^"]*"|…)', match.group(1)))
        assert "action" in pairs, f"'{heading}' has no action"
        protocol = pairs.pop("protocol", None)
        selector = (pairs.pop("action").strip('"'), protocol and protocol.strip('"'), frozenset(pairs))
        documented[selector] = body
    return documented


def test_every_action_the_consumer_dispatches_is_documented_and_nothing_else() -> None:
    in_code, documented = set(_code_actions()), set(_documented_actions())
    assert not in_code - documented, f"actions missing from docs/socket.md: {in_code - documented}"
    assert not documented - in_code, f"docs/socket.md documents actions the consumer lacks: {documented - in_code}"


def test_each_action_names_the_fields_the_consumer_reads() -> None:
    documented = _documented_actions()
    missing = {
        selector: unnamed
        for selector, keys in _code_actions().items()
        if (unnamed := _names(documented.get(selector, ""), keys))
    }
    assert not missing, f"fields read from a frame but not named in its action's section: {missing}"


def test_every_action_of_the_public_socket_is_documented_with_its_fields_and_nothing_else() -> None:
    in_code, documented = _code_actions(public=True), _documented_actions("Public: client → server")
    assert set(in_code) == set(documented), f"public actions in code {set(in_code)}, in docs {set(documented)}"
    missing = {
        selector: unnamed for selector, keys in in_code.items() if (unnamed := _names(documented[selector], keys))
    }
    assert not missing, f"fields read from a public frame but not named in its action's section: {missing}"


# --- Socket: the frames the code sends ----------------------------------------------------------


def _frame_types(node: ast.Dict, type_keyed: bool) -> set[str]:
    """The frame types a dict literal builds: its `protocol` values, or in a frame-sending module a
    `type` without a dot; empty when it is no frame."""
    entries = {
        key.value: value for key, value in zip(node.keys, node.values, strict=True) if isinstance(key, ast.Constant)
    }
    if "protocol" in entries:
        match entries["protocol"]:
            case ast.Constant(value=str(name)):
                return {name}
            case ast.IfExp(body=ast.Constant(value=str(first)), orelse=ast.Constant(value=str(second))):
                return {first, second}
        pytest.fail(f"a frame's protocol is not a literal: {ast.unparse(node)}")
    match entries.get("type"):
        case ast.Constant(value=str(name)) if type_keyed and "." not in name:
            return {name}
    return set()


def _constant_keys(node: ast.Dict) -> set[str]:
    return {key.value for key in node.keys if isinstance(key, ast.Constant) and isinstance(key.value, str)}


@cache
def _code_frames() -> dict[str, set[str]]:
    """{frame type: its fields} in the frames module. A `{**frame, "key": …}` adds its keys to the frames
    the function assigned to `frame`."""
    frames: dict[str, set[str]] = defaultdict(set)
    for path in [FRAMES]:
        tree = _tree(path)
        type_keyed = True
        scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                for name in _frame_types(node, type_keyed):
                    frames[name] |= _constant_keys(node)
        for scope in scopes:
            assigned: dict[str, set[str]] = defaultdict(set)
            for node in ast.walk(scope):
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            assigned[target.id] |= _frame_types(node.value, type_keyed)
            for node in ast.walk(scope):
                if isinstance(node, ast.Dict):
                    for key, value in zip(node.keys, node.values, strict=True):
                        if key is None and isinstance(value, ast.Name):
                            for name in assigned.get(value.id, set()):
                                frames[name] |= _constant_keys(node)
    assert {"handleMessage", "error"} <= set(frames), "the frame scan found too little"
    return dict(frames)


def _documented_frames() -> dict[str, str]:
    documented = {}
    for heading, body in _sections(_part(SOCKET_DOC.read_text(), "Server → client")).items():
        match = re.fullmatch(r"`([^`]+)`", heading)
        assert match, f"a frame's heading is its type in backticks, not '{heading}'"
        documented[match.group(1)] = body
    return documented


def test_every_frame_the_code_sends_is_documented_and_nothing_else() -> None:
    in_code, documented = set(_code_frames()), set(_documented_frames())
    assert not in_code - documented, f"frames missing from docs/socket.md: {in_code - documented}"
    assert not documented - in_code, f"docs/socket.md documents frames no code sends: {documented - in_code}"


def test_each_frame_names_its_fields() -> None:
    documented = _documented_frames()
    missing = {
        name: unnamed
        for name, keys in _code_frames().items()
        if (unnamed := _names(documented.get(name, ""), keys - {"protocol"}))
    }
    assert not missing, f"frame fields not named in their frame's section: {missing}"


# --- Socket: errors, close codes, settings -----------------------------------------------------


def test_every_error_code_the_consumer_raises_is_documented() -> None:
    codes: set[str] = set()
    for node in (n for path in (CONSUMER, PUBLIC_CONSUMER) for n in ast.walk(_tree(path))):
        match node:
            case ast.Call(
                func=ast.Attribute(value=ast.Name(id="self"), attr="_error"), args=[ast.Constant(value=str(code)), *_]
            ):
                codes.add(code)
            case ast.Call(keywords=keywords):
                codes |= {
                    k.value.value
                    for k in keywords
                    if k.arg == "code" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
                }
            case ast.ClassDef(body=body):
                codes |= {
                    s.value.value
                    for s in body
                    if isinstance(s, ast.Assign)
                    and [t.id for t in s.targets if isinstance(t, ast.Name)] == ["code"]
                    and isinstance(s.value, ast.Constant)
                    and isinstance(s.value.value, str)
                }
    assert len(codes) >= 5, "the error scan found too little"
    errors = _documented_frames()["error"]
    assert not _names(errors, codes), (
        f"socket error codes missing from the error frame's table: {_names(errors, codes)}"
    )


def test_close_codes_are_documented_both_ways() -> None:
    from apps.realtime import auth

    in_code = {value for name, value in vars(auth).items() if name.startswith("CLOSE_") and isinstance(value, int)}
    documented = {
        int(code) for code in re.findall(r"^\| (\d{4}) \|", _part(SOCKET_DOC.read_text(), "Close codes"), re.MULTILINE)
    }
    assert in_code == documented


def test_every_setting_the_socket_reads_is_named() -> None:
    read = {
        node.attr
        for path in (CONSUMER, PUBLIC_CONSUMER, SOCKET_AUTH)
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "settings"
    }
    assert not _names(SOCKET_DOC.read_text(), read), (
        f"settings missing from docs/socket.md: {_names(SOCKET_DOC.read_text(), read)}"
    )


def test_no_module_but_the_frames_module_builds_a_frame() -> None:
    """Every frame is built in apps/realtime/frames.py: a dict with a `protocol` key anywhere else fails."""
    elsewhere = []
    for path in sorted((ROOT / "apps").rglob("*.py")):
        if "migrations" in path.parts or path == FRAMES:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Dict) and "protocol" in _constant_keys(node):
                elsewhere.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not elsewhere, f"frames built outside apps/realtime/frames.py: {elsewhere}"


def test_a_wall_clock_time_field_keeps_its_facts_in_the_schema(schema: dict[str, Any]) -> None:
    """Times are written as our own pattern (apps/core/schema.py), but a field that may be null still says so:
    a player without quiet hours gets `null` there (the fuzz's response check found it undeclared)."""
    shapes = schema["components"]["schemas"]
    for shape in ("PushSettings", "PushSettingsInputRequest"):
        for name in ("quiet_hours_start", "quiet_hours_end"):
            field = shapes[shape]["properties"][name]
            assert field["nullable"] is True and field["pattern"] and field["description"]
    assert "nullable" not in shapes["PoolHouse"]["properties"]["open_time"]
