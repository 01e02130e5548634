"""``python -m assistant serve``: open the index and models once, then serve the page.

Binding to anything but loopback is refused unless the caller says it is meant (``public``);
public means logged in (``ui.username`` and a password) unless ``--no-auth`` says otherwise.
A login is required whenever ``ui.username`` is set.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from pathlib import Path

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.ui.app import build_app, secret_key
from assistant.ui.history import ConversationStore
from assistant.ui.service import AssistantService

_HERE = Path(__file__).parent


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(host: str, public: bool) -> None:
    """Refuse a non-loopback address unless it was asked for explicitly."""
    if not is_loopback(host) and not public:
        raise ConfigError(
            f"{host} is reachable from other machines; pass --public to serve there on purpose "
            "(and set ui.username with a password in ASSISTANT_UI_PASSWORD)"
        )


def check_login(public: bool, auth: tuple[str, str] | None, no_auth: bool) -> None:
    """``--public`` needs a login: upload, delete and the Gradio API are otherwise open to
    anyone on the network. ``--no-auth`` serves without one on purpose, with a warning."""
    if not public or auth is not None:
        return
    if not no_auth:
        raise ConfigError(
            "--public needs a login: set ui.username (or ASSISTANT_UI__USERNAME) and export "
            "the password in ASSISTANT_UI_PASSWORD, or pass --no-auth to let anyone who can "
            "reach the port upload and delete articles"
        )
    print(
        "warning: serving with --public --no-auth: anyone who can reach this port can read, "
        "upload and delete articles",
        file=sys.stderr,
        flush=True,
    )


def check_port(host: str, port: int) -> None:
    """Refuse a port something already listens on, before the slow model and index loads.

    Gradio would find out only after them, with a traceback."""
    if not 1 <= port <= 65535:
        raise ConfigError(f"port {port} is not a port number; pass --port between 1 and 65535")
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Gradio binds
            sock.bind(address)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); another server (a second "
            "`serve`?) may hold it: stop that one or pass --port with a free port"
        ) from exc


def credentials(settings: Settings) -> tuple[str, str] | None:
    """``(username, password)`` when a login is configured, else None."""
    ui = settings.ui
    if not ui.username:
        return None
    password = os.environ.get(ui.password_env, "")
    if not password:
        raise ConfigError(
            f"ui.username is set but {ui.password_env} is empty; export the password in it"
        )
    return ui.username, password


def serve(settings: Settings, host: str, port: int, public: bool, no_auth: bool = False) -> None:
    """Serve the chat until interrupted; prints the page's address when it is up."""
    check_binding(host, public)
    auth = credentials(settings)
    check_login(public, auth, no_auth)
    check_port(host, port)
    upload_root = settings.corpus_dir.resolve()
    service = AssistantService(settings)
    try:
        service.check_model()  # a model that cannot run here: quotes and a banner, not crashes
        conversations = ConversationStore(
            settings.data_dir / "conversations.sqlite3", settings.ui.max_turns
        )
        demo = build_app(service, conversations, secret_key(settings))
        demo.queue(
            default_concurrency_limit=settings.ui.concurrency, max_size=settings.ui.max_queue
        )
        demo.launch(
            server_name=host,
            server_port=port,
            auth=auth,
            css_paths=[_HERE / "style.css"],
            max_file_size=settings.ui.max_upload_bytes,  # the limit library checks
            allowed_paths=[],
            blocked_paths=[str(upload_root), str(settings.data_dir.resolve())],
            show_error=False,
            quiet=True,
            prevent_thread_lock=True,
            ssr_mode=False,
        )
        print(f"serving {len(service.articles())} article(s) at http://{host}:{port}/", flush=True)
        demo.block_thread()
    finally:
        service.close()
