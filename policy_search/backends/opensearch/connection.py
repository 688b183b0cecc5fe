"""Reaching an OpenSearch cluster: the location's hosts and index name, credentials and TLS from
the environment or a config file (never from the command line, which shells keep in their
history), and one-line errors for a cluster that cannot be reached or is not one we support."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policy_search.backends import OPENSEARCH_SCHEME
from policy_search.errors import IndexUnreachable, PolicySearchError

#: the server versions the backend is tested with (2.19) and those whose API it uses (point in
#: time searches since 2.4); 3.x keeps that API
SUPPORTED_MAJORS = (2, 3)
MIN_VERSION = (2, 4)

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,199}")
_HOST = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]")


class BadLocation(PolicySearchError):
    """An opensearch:// location that does not say where or which index."""


@dataclass(frozen=True)
class Location:
    hosts: tuple[tuple[str, int], ...]
    name: str

    @property
    def url(self) -> str:
        return f"{OPENSEARCH_SCHEME}{','.join(f'{h}:{p}' for h, p in self.hosts)}/{self.name}"


def parse_location(url: str) -> Location:
    """``opensearch://HOST:PORT[,HOST:PORT...]/NAME``: the nodes to ask, and the index."""
    rest = url[len(OPENSEARCH_SCHEME) :]
    where, _, name = rest.partition("/")
    if "@" in where:
        raise BadLocation(
            f"{url}: put credentials in POLICY_SEARCH_OPENSEARCH_USER and POLICY_SEARCH_OPENSEARCH_PASSWORD "
            "(or the config file), not in the index's location"
        )
    if not _NAME.fullmatch(name):
        raise BadLocation(
            f"{url}: the index name {name!r} must be lowercase letters, digits, '-' or '_' "
            f"(at most 200, not starting with '-' or '_'): {OPENSEARCH_SCHEME}HOST:PORT/NAME"
        )
    hosts = []
    for part in where.split(","):
        host, sep, port = part.rpartition(":")
        if not sep or not _HOST.fullmatch(host) or not port.isdigit() or not 0 < int(port) < 65536:
            raise BadLocation(f"{url}: {part!r} is not HOST:PORT: {OPENSEARCH_SCHEME}HOST:PORT/NAME")
        hosts.append((host.strip("[]"), int(port)))
    return Location(tuple(hosts), name)


@dataclass(frozen=True)
class Credentials:
    user: str = ""
    password: str = ""
    tls: bool = False
    ca_certs: str = ""
    verify: bool = True


def config_path() -> Path:
    explicit = os.environ.get("POLICY_SEARCH_OPENSEARCH_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "policy-search" / "opensearch.toml"


def credentials() -> Credentials:
    """From the config file (``user``, ``password``, ``tls``, ``ca_certs``, ``verify``), each
    overridden by its POLICY_SEARCH_OPENSEARCH_* variable."""
    path = config_path()
    found: dict[str, Any] = {}
    if path.is_file():
        try:
            found = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise BadLocation(f"cannot read the OpenSearch config file {path}: {exc}") from exc
    env = {key: os.environ[f"POLICY_SEARCH_OPENSEARCH_{key.upper()}"] for key in Credentials.__dataclass_fields__
           if f"POLICY_SEARCH_OPENSEARCH_{key.upper()}" in os.environ}
    merged = {**found, **env}
    unknown = set(merged) - set(Credentials.__dataclass_fields__)
    if unknown:
        raise BadLocation(f"{path}: unknown setting(s) {', '.join(sorted(unknown))} (it takes user, password, tls, ca_certs, verify)")
    flags: dict[str, bool] = {key: _flag(key, merged[key]) for key in ("tls", "verify") if key in merged}
    return Credentials(**{**merged, **flags})


def _flag(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise BadLocation(f"POLICY_SEARCH_OPENSEARCH_{key.upper()}: {value!r} is not true or false")


def connect(location: Location, timeout: float = 30.0) -> Any:
    """A client of the cluster at ``location`` (nothing is asked of it yet)."""
    try:
        from opensearchpy import OpenSearch
    except ImportError:
        raise BadLocation(f"{location.url}: the OpenSearch backend needs opensearch-py: pip install 'policy-search[opensearch]'") from None

    import logging

    # the client logs every refused request as a warning; what matters reaches the user as one line
    logging.getLogger("opensearch").setLevel(logging.ERROR)
    given = credentials()
    options: dict[str, Any] = {
        "hosts": [{"host": host, "port": port} for host, port in location.hosts],
        "timeout": timeout,
        # a node that goes away: the request is tried on the next one
        "max_retries": 3,
        "retry_on_timeout": True,
        "retry_on_status": (502, 503, 504),
        "http_compress": False,
    }
    if given.user:
        options["http_auth"] = (given.user, given.password)
    if given.tls or given.ca_certs:
        options.update(use_ssl=True, verify_certs=given.verify, ssl_show_warn=given.verify)
        if given.ca_certs:
            options["ca_certs"] = given.ca_certs
    return OpenSearch(**options)


def check_server(client: Any, location: Location) -> None:
    """Raise IndexUnreachable unless an OpenSearch of a supported version answers."""
    try:
        info = client.info()
    except Exception as exc:
        raise unreachable(location, exc) from None
    version = info.get("version", {})
    number = str(version.get("number", "0"))
    parts = tuple(int(x) for x in re.findall(r"\d+", number)[:2]) or (0,)
    if version.get("distribution") != "opensearch":
        raise IndexUnreachable(
            f"{location.url}: the server is not OpenSearch (it says {version.get('distribution') or 'Elasticsearch'} {number}); "
            "policy-search needs OpenSearch 2.4 or later"
        )
    if parts[0] not in SUPPORTED_MAJORS or parts < MIN_VERSION:
        raise IndexUnreachable(f"{location.url}: OpenSearch {number} is not supported (2.4 to 3.x are)")


def unreachable(location: Location, exc: BaseException) -> IndexUnreachable:
    """One line for a failed request: no connection, refused credentials, a server error."""
    status = getattr(exc, "status_code", None)
    if status in (401, 403):
        why = "the credentials were refused (set POLICY_SEARCH_OPENSEARCH_USER and POLICY_SEARCH_OPENSEARCH_PASSWORD)"
    elif isinstance(status, int):
        why = f"the server answered {status} ({_reason(exc)})"
    else:
        why = f"cannot connect ({_reason(exc)})"
    return IndexUnreachable(f"OpenSearch at {location.url}: {why}")


def _reason(exc: BaseException) -> str:
    info = getattr(exc, "info", None)
    if isinstance(info, dict):
        error = info.get("error")
        if isinstance(error, dict):
            return str(error.get("reason") or error.get("type") or error)[:200]
    error_text = getattr(exc, "error", None)
    text = str(error_text if isinstance(error_text, str) and error_text != "N/A" else exc)
    return " ".join(text.split())[:200]
